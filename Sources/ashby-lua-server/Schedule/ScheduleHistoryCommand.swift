import ArgumentParser
import AshbyCLI
import AshbyScheduler
import Foundation

/// `schedule history`: the runs, newest first.
struct ScheduleHistoryCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "history", abstract: "Show recorded runs, newest first: times, status, writes, error.")

  @OptionGroup var files: ScheduleFiles

  @Option(help: ArgumentHelp("Only this job's runs.", valueName: "NAME"))
  var job: String?

  @Option(help: ArgumentHelp("Only this hook's deliveries and runs (each with its event).", valueName: "NAME"))
  var hook: String?

  @Option(help: ArgumentHelp("Runs to show.", valueName: "N"))
  var limit = 20

  @Flag(help: "Print JSON lines instead of a table.")
  var json = false

  func validate() throws {
    if limit < 1 { throw ValidationError("--limit must be at least 1.") }
  }

  func run() throws {
    let history = try files.openHistory()
    let runs = try history.runs(job: job, hook: hook, limit: limit)
    if json {
      for run in runs { print(String(decoding: Timetable.json(run).encoded(), as: UTF8.self)) }
      return
    }
    guard !runs.isEmpty else {
      print((hook ?? job).map { "no runs of \($0) recorded" } ?? "no runs recorded")
      return
    }
    var rows = [["ID", "JOB", "TRIGGER", hook == nil ? "SCHEDULED" : "EVENT", "STARTED", "TOOK", "STATUS", "WRITES", "ERROR"]]
    for r in runs {
      let when = r.scheduledFor.map { Timetable.format($0, in: .current) } ?? r.event ?? "-"
      rows.append([
        String(r.id ?? 0), r.job, r.trigger.rawValue, when,
        Timetable.format(r.startedAt, in: .current),
        r.endedAt.map { Timetable.duration($0.timeIntervalSince(r.startedAt)) } ?? "-",
        r.status.rawValue, "\(r.writes)\(r.dryRun ? " planned" : "")", Timetable.oneLine(r.error ?? ""),
      ])
    }
    print(Timetable.table(rows))
  }
}
