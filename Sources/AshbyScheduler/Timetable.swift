import AshbyJSON
import AshbyState
import Foundation

/// Formatting for `schedule list` and `schedule history`.
public enum Timetable {
  public static func format(_ date: Date, in zone: TimeZone) -> String { ScheduledJob.format(date, in: zone) }

  public static func iso(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }

  public static func relative(_ date: Date, from now: Date) -> String {
    "in " + duration(date.timeIntervalSince(now))
  }

  public static func duration(_ seconds: Double) -> String {
    guard seconds.isFinite, abs(seconds) < 1e15 else { return "?" }  // Int() below would trap
    let s = Int(seconds.rounded())  // finite and under 1e15 (the guard above): inside Int
    if seconds < 60 { return String(format: "%.1f s", seconds) }
    if s < 3600 { return "\(s / 60)m \(s % 60)s" }
    if s < 86400 { return "\(s / 3600)h \(s % 3600 / 60)m" }
    return "\(s / 86400)d \(s % 86400 / 3600)h"
  }

  public static func summary(_ run: RunRecord) -> String {
    "\(run.status.rawValue) \(format(run.startedAt, in: .current)) (\(run.writes)\(run.dryRun ? " planned" : "") write\(run.writes == 1 ? "" : "s"))"
  }

  public static func oneLine(_ text: String) -> String {
    let line = text.split(separator: "\n").first.map(String.init) ?? ""
    return line.count > 80 ? String(line.prefix(79)) + "…" : line
  }

  public static func json(_ r: RunRecord) -> JSONValue {
    var fields: [String: JSONValue] = [
      "id": .int(r.id ?? 0), "job": .string(r.job), "trigger": .string(r.trigger.rawValue),
      "started_at": .string(iso(r.startedAt)), "status": .string(r.status.rawValue),
      "attempts": .int(Int64(r.attempts)),
      "writes": .int(Int64(r.writes)), "dry_run": .bool(r.dryRun), "owner": .string(r.owner),
    ]
    if let d = r.scheduledFor { fields["scheduled_for"] = .string(iso(d)) }
    if let d = r.endedAt { fields["ended_at"] = .string(iso(d)) }
    if let c = r.exitCode { fields["exit_code"] = .int(Int64(c)) }
    if let e = r.error { fields["error"] = .string(e) }
    if let e = r.event { fields["event"] = .string(e) }
    return .object(fields)
  }

  /// Columns padded to their widest cell.
  public static func table(_ rows: [[String]]) -> String {
    let widths = (0..<(rows.first?.count ?? 0)).map { c in rows.map { $0[c].count }.max() ?? 0 }
    return rows.map { row in
      String(
        zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
          .reversed().drop(while: { $0 == " " }).reversed())
    }.joined(separator: "\n")
  }

  /// The time in the job's zone, and in this machine's when that differs.
  public static func both(_ date: Date, _ zone: TimeZone) -> String {
    let there = format(date, in: zone)
    let here = format(date, in: .current)
    return there == here ? there : "\(there) (here \(here))"
  }

  /// A job for `schedule list --json`, with its next fires.
  public static func json(_ job: ScheduledJob, fires: [Date]) -> JSONValue {
    .object([
      "name": .string(job.name), "script": .string(job.script), "cron": .string(job.cron.description),
      "timezone": .string(job.zoneName), "overlap": .string(job.overlap.rawValue),
      "catch_up": .string(job.catchUp.rawValue), "timeout": .double(job.timeout), "retries": .int(Int64(job.retries)),
      "grace": .double(job.grace), "sandbox": .bool(job.sandbox), "dry_run": .bool(job.dryRun),
      "args": .array(job.args.map(JSONValue.string)),
      "next": .array(fires.map { .string(iso($0)) }),
      "next_local": .array(fires.map { .string(format($0, in: job.timeZone)) }),
    ])
  }

  /// A hook for `schedule list --json`.
  public static func json(_ hook: Hook) -> JSONValue {
    .object([
      "hook": .string(hook.name), "script": .string(hook.job.script), "events": .array(events(hook).map(JSONValue.string)),
      "secret": .string(secretSource(hook)), "timeout": .double(hook.job.timeout),
      "retries": .int(Int64(hook.job.retries)), "sandbox": .bool(hook.job.sandbox), "dry_run": .bool(hook.job.dryRun),
    ])
  }

  /// The event types a hook takes (`*`: every one).
  public static func events(_ hook: Hook) -> [String] { hook.events.isEmpty ? ["*"] : hook.events.sorted() }

  /// Where a hook's secret comes from, never the secret: `$VARIABLE`, `secret_command` or `unsigned`.
  public static func secretSource(_ hook: Hook) -> String {
    switch hook.secret {
    case .environment(let name): "$\(name)"
    case .command: "secret_command"
    case .unsigned: "unsigned"
    }
  }
}
