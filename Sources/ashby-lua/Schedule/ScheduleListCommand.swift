import ArgumentParser
import AshbyScheduler
import Foundation

/// `schedule list`: each job's next fire times and its last run.
struct ScheduleListCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list", abstract: "Show each job's next fire times (in its own time zone) and its last run.")

  @OptionGroup var files: ScheduleFiles

  @Option(help: ArgumentHelp("Fire times to show per job.", valueName: "N"))
  var count = 1

  func validate() throws {
    if count < 1 || count > 100 { throw ValidationError("--count must be from 1 to 100.") }
  }

  func run() throws {
    let jobs = try files.jobs()
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
      let last = (try? history.runs(job: job.name, limit: 1).first).flatMap { $0 }.map(Timetable.summary) ?? "never run"
      let next = fires.first.map { "\(Timetable.format($0, in: job.timeZone)) (\(Timetable.relative($0, from: now)))" }
      rows.append([job.name, job.cron.description, job.timeZone.identifier, next ?? "never", last])
      for more in fires.dropFirst() { rows.append(["", "", "", Timetable.format(more, in: job.timeZone), ""]) }
    }
    print(Timetable.table(rows))
  }
}
