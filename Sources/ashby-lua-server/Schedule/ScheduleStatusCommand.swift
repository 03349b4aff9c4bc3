import ArgumentParser
import AshbyCLI
import AshbyJSON
import AshbyKit
import AshbyScheduler
import Foundation

/// `schedule status`: each job's last result and next fire, for a glance (or a monitor, with --json).
struct ScheduleStatusCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status", abstract: "Show each job's last result and its next fire.")

  @OptionGroup var files: ScheduleFiles

  @Flag(help: "Print one JSON object per job instead of a table.")
  var json = false

  func run() throws {
    let schedule = try files.schedule()
    let jobs = schedule.jobs
    let history = try files.openHistory(schedule)
    let now = Date()
    var rows = [["JOB", "LAST", "ENDED", "ERROR", "NEXT"]]
    for job in jobs {
      let last = try history.runs(job: job.name, limit: 1).first
      let next = job.cron.next(after: now, in: job.timeZone)
      if json {
        var fields: [String: JSONValue] = ["job": .string(job.name)]
        if let last { fields["last"] = Timetable.json(last) }
        if let next { fields["next"] = .string(Timetable.iso(next)) }
        print(String(decoding: JSONValue.object(fields).encoded(), as: UTF8.self))
        continue
      }
      rows.append([
        job.name, last?.status.rawValue ?? "never run",
        last?.endedAt.map { Timetable.format($0, in: .current) } ?? "-", Timetable.oneLine(last?.error ?? ""),
        next.map { Timetable.format($0, in: job.timeZone) } ?? "never",
      ])
    }
    if !json { print(Timetable.table(rows)) }
    // Deliveries stored for a hook the file no longer has: they wait for it (and run when it is back).
    for (hook, count) in try history.deliveriesWaiting(outside: Set(schedule.hooks.map(\.name))).sorted(by: { $0.key < $1.key }) {
      if json {
        print(String(decoding: JSONValue.object(["hook": .string(hook), "waiting": .int(Int64(count))]).encoded(), as: UTF8.self))
      } else {
        print("\(hook): \(count) deliver\(count == 1 ? "y" : "ies") waiting for a hook of that name (not in \(files.file))")
      }
    }
  }
}
