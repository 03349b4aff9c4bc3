import ArgumentParser
import AshbyCLI
import AshbyJSON
import AshbyKit
import AshbyScheduler
import Foundation

/// `schedule list`: each job's next fire times and its last run.
struct ScheduleListCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list", abstract: "Show each job's next fire times (in its own time zone) and its last run.")

  @OptionGroup var files: ScheduleFiles

  @Option(help: ArgumentHelp("Fire times to show per job.", valueName: "N"))
  var count = 1

  @Flag(help: "Print one JSON object per job (its settings and next fire times) instead of a table.")
  var json = false

  func validate() throws {
    if count < 1 || count > 100 { throw ValidationError("--count must be from 1 to 100.") }
  }

  func run() throws {
    let schedule = try files.schedule()
    let jobs = schedule.jobs
    let history = try files.openHistory()
    let now = Date()
    var rows = [["JOB", "CRON", "ZONE", "NEXT", "LAST RUN"]]
    for job in jobs {
      var fires: [Date] = []
      var cursor = now
      while fires.count < count, let next = job.cron.next(after: cursor, in: job.timeZone) {
        fires.append(next)
        cursor = next
      }
      if json {
        print(String(decoding: Self.json(job, fires: fires).encoded(), as: UTF8.self))
        continue
      }
      let last = (try? history.runs(job: job.name, limit: 1).first).flatMap { $0 }.map(Timetable.summary) ?? "never run"
      let next = fires.first.map { "\(Self.both($0, job.timeZone)) (\(Timetable.relative($0, from: now)))" }
      rows.append([job.name, job.cron.description, job.zoneName, next ?? "never", last])
      for more in fires.dropFirst() { rows.append(["", "", "", Self.both(more, job.timeZone), ""]) }
    }
    if !json && !jobs.isEmpty { print(Timetable.table(rows)) }
    guard !schedule.hooks.isEmpty else { return }
    var hookRows = [["HOOK", "EVENTS", "SECRET", "LAST DELIVERY"]]
    for hook in schedule.hooks {
      let events = hook.events.isEmpty ? ["*"] : hook.events.sorted()
      let secret: String
      switch hook.secret {
      case .environment(let name): secret = "$\(name)"
      case .command: secret = "secret_command"
      case .unsigned: secret = "unsigned"
      }
      if json {
        let fields: [String: JSONValue] = [
          "hook": .string(hook.name), "script": .string(hook.job.script), "events": .array(events.map(JSONValue.string)),
          "secret": .string(secret), "timeout": .double(hook.job.timeout), "retries": .int(Int64(hook.job.retries)),
          "sandbox": .bool(hook.job.sandbox), "dry_run": .bool(hook.job.dryRun),
        ]
        print(String(decoding: JSONValue.object(fields).encoded(), as: UTF8.self))
        continue
      }
      let last = (try? history.runs(hook: hook.name, limit: 1).first).flatMap { $0 }
      hookRows.append([
        hook.name, events.joined(separator: ", "), secret,
        last.map { "\($0.event ?? "") \(Timetable.summary($0))" } ?? "none yet",
      ])
    }
    if !json { print((jobs.isEmpty ? "" : "\n") + Timetable.table(hookRows)) }
  }

  /// The time in the job's zone, and in this machine's when that differs.
  static func both(_ date: Date, _ zone: TimeZone) -> String {
    let there = Timetable.format(date, in: zone)
    let here = Timetable.format(date, in: .current)
    return there == here ? there : "\(there) (here \(here))"
  }

  static func json(_ job: ScheduledJob, fires: [Date]) -> JSONValue {
    .object([
      "name": .string(job.name), "script": .string(job.script), "cron": .string(job.cron.description),
      "timezone": .string(job.zoneName), "overlap": .string(job.overlap.rawValue),
      "catch_up": .string(job.catchUp.rawValue), "timeout": .double(job.timeout), "retries": .int(Int64(job.retries)),
      "grace": .double(job.grace), "sandbox": .bool(job.sandbox), "dry_run": .bool(job.dryRun),
      "args": .array(job.args.map(JSONValue.string)),
      "next": .array(fires.map { .string(Timetable.iso($0)) }),
      "next_local": .array(fires.map { .string(Timetable.format($0, in: job.timeZone)) }),
    ])
  }
}
