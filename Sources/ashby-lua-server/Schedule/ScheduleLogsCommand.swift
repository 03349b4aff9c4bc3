import ArgumentParser
import AshbyCLI
import AshbyScheduler
import AshbyScripting
import Foundation

/// `schedule logs JOB [RUN]`: what a run printed, as the history keeps it.
struct ScheduleLogsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "logs",
    abstract: "Print the output of a job's newest run (or of run RUN): the last 64 KB of its stdout and stderr.")

  @Argument(help: "The job's name.")
  var job: String

  @Argument(help: "A run id from `schedule history` (default: the newest run).")
  var runID: Int64?

  @OptionGroup var files: ScheduleFiles

  func run() throws {
    let history = try files.openHistory()
    let found = try runID.map { try history.run(id: $0) } ?? history.runs(job: job, limit: 1).first
    guard let record = found, record.job == job else {
      Console.error("ashby-lua: no run\(runID.map { " \($0)" } ?? "") of \(job) recorded")
      throw ExitCode(Exit.usage)
    }
    Console.error("\(job)#\(record.id ?? 0): \(Timetable.summary(record))")  // the summary starts with the status
    print(record.output ?? "", terminator: "")
  }
}
