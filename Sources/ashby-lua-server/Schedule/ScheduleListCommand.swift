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
      let fires = job.fires(after: now, count: count)
      if json {
        print(String(decoding: Timetable.json(job, fires: fires).encoded(), as: UTF8.self))
        continue
      }
      let last = (try? history.runs(job: job.name, limit: 1).first).flatMap { $0 }.map(Timetable.summary) ?? "never run"
      let next = fires.first.map { "\(Timetable.both($0, job.timeZone)) (\(Timetable.relative($0, from: now)))" }
      rows.append([job.name, job.cron.description, job.zoneName, next ?? "never", last])
      for more in fires.dropFirst() { rows.append(["", "", "", Timetable.both(more, job.timeZone), ""]) }
    }
    if !json && !jobs.isEmpty { print(Timetable.table(rows)) }
    guard !schedule.hooks.isEmpty else { return }
    var hookRows = [["HOOK", "EVENTS", "SECRET", "LAST DELIVERY"]]
    for hook in schedule.hooks {
      if json {
        print(String(decoding: Timetable.json(hook).encoded(), as: UTF8.self))
        continue
      }
      let (events, secret) = (Timetable.events(hook), Timetable.secretSource(hook))
      let last = (try? history.runs(hook: hook.name, limit: 1).first).flatMap { $0 }
      hookRows.append([
        hook.name, events.joined(separator: ", "), secret,
        last.map { "\($0.event ?? "") \(Timetable.summary($0))" } ?? "none yet",
      ])
    }
    if !json { print((jobs.isEmpty ? "" : "\n") + Timetable.table(hookRows)) }
  }
}
