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

/// `schedule history`: the runs, newest first.
struct ScheduleHistoryCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "history", abstract: "Show recorded runs, newest first: times, status, writes, error.")

  @OptionGroup var files: ScheduleFiles

  @Option(help: ArgumentHelp("Only this job's runs.", valueName: "NAME"))
  var job: String?

  @Option(help: ArgumentHelp("Runs to show.", valueName: "N"))
  var limit = 20

  @Flag(help: "Print JSON lines instead of a table.")
  var json = false

  func validate() throws {
    if limit < 1 { throw ValidationError("--limit must be at least 1.") }
  }

  func run() throws {
    let history = try files.openHistory()
    let runs = try history.runs(job: job, limit: limit)
    if json {
      for run in runs { print(String(decoding: Timetable.json(run).encoded(), as: UTF8.self)) }
      return
    }
    guard !runs.isEmpty else {
      print(job.map { "no runs of \($0) recorded" } ?? "no runs recorded")
      return
    }
    var rows = [["ID", "JOB", "TRIGGER", "SCHEDULED", "STARTED", "TOOK", "STATUS", "WRITES", "ERROR"]]
    for r in runs {
      rows.append([
        String(r.id ?? 0), r.job, r.trigger.rawValue, r.scheduledFor.map { Timetable.format($0, in: .current) } ?? "-",
        Timetable.format(r.startedAt, in: .current),
        r.endedAt.map { Timetable.duration($0.timeIntervalSince(r.startedAt)) } ?? "-",
        r.status.rawValue, "\(r.writes)\(r.dryRun ? " planned" : "")", Timetable.oneLine(r.error ?? ""),
      ])
    }
    print(Timetable.table(rows))
  }
}
