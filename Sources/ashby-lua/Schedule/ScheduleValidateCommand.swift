import ArgumentParser
import AshbyScheduler
import Foundation

/// `schedule validate`: every problem of the file at once, touching no state.
struct ScheduleValidateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "validate",
    abstract: "Check a schedules file: every problem at once with file:line:key (exit 2), no history needed.")

  @Option(name: .shortAndLong, help: ArgumentHelp("The schedule.", valueName: "FILE"))
  var file = "schedules.toml"

  func run() throws {
    let schedule = try ScheduleFiles.load(file)
    let (jobs, hooks) = (schedule.jobs.count, schedule.hooks.count)
    let hookCount = hooks == 0 ? "" : " and \(hooks) hook\(hooks == 1 ? "" : "s")"
    print("\(file): \(jobs) job\(jobs == 1 ? "" : "s")\(hookCount), no problems")
  }
}
