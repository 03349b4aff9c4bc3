import ArgumentParser
import AshbyCLI
import AshbyScheduler
import AshbyScripting
import Foundation
import LuaHost

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
    for warning in Self.sandboxWarnings(schedule) { Console.error(warning) }
  }

  /// A sandboxed job's or hook's script that names what the sandbox takes away
  /// would fail when it runs: said now, as a warning (the scan is of the text,
  /// so a mention in a string counts too, and the file stays valid).
  static func sandboxWarnings(_ schedule: Schedule) -> [String] {
    let runs = schedule.jobs.map { ("job", $0) } + schedule.hooks.map { ("hook", $0.job) }
    var warnings: [String] = []
    for (kind, job) in runs where job.sandbox {
      guard let data = FileManager.default.contents(atPath: job.script), let text = String(data: data, encoding: .utf8)
      else { continue }
      for (line, name) in Sandbox.mentions(in: text) {
        let instead = Sandbox.removed.first { $0.name == name }?.instead ?? ""
        warnings.append(
          "warning: \(job.script):\(line): \(kind) \"\(job.name)\" is sandboxed, and its script uses \(name), which a sandboxed run does not have: \(instead); set sandbox = false for the \(kind) to allow it"
        )
      }
    }
    return warnings
  }
}
