import ArgumentParser
import AshbyScheduler
import Foundation
import LuaHost

/// `ashby-lua run SCRIPT [ARGS...]`, like `lua SCRIPT ARGS...`.
struct RunCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run a Lua script (like `lua SCRIPT`): `arg` and `...` hold the arguments.",
    discussion: "SCRIPT may be `-` for standard input. A first line starting with `#` is ignored."
  )

  @Option(name: .customShort("e"), help: ArgumentHelp("Run CODE before the script (repeatable).", valueName: "CODE"))
  var execute: [String] = []

  @OptionGroup var session: SessionOptions

  @Option(help: ArgumentHelp("With --dry-run, also write the plan as JSON to FILE.", valueName: "FILE"))
  var planJson: String?

  @Argument(parsing: .captureForPassthrough, help: "The script, then its arguments.")
  var scriptAndArguments: [String] = []

  func validate() throws {
    if let first = scriptAndArguments.first, first == "--help" || first == "-h" {
      throw CleanExit.helpRequest(self)
    }
    if scriptAndArguments.isEmpty && execute.isEmpty {
      throw ValidationError("Give a script to run, `-` for standard input, or -e CODE.")
    }
    if planJson != nil && !session.dryRun { throw ValidationError("--plan-json needs --dry-run.") }
  }

  func run() async throws {
    // Started by `schedule`: the report goes back on a pipe, and the run ends with the daemon.
    let report: ReportChannel?
    do {
      report = try ScheduledChild.attach()
    } catch {
      Console.error("ashby-lua: \(error)")
      throw ExitCode(Exit.usage)
    }
    let script = scriptAndArguments.first
    let args = Array(scriptAndArguments.dropFirst())
    let runner = try await ScriptSession.startOrExit(session, report: report)
    let end = await runner.runMain(script: script, arguments: args, chunks: execute)
    report?.send(RunReport(end: end, client: runner.client))
    await runner.finish(planJSON: planJson)
    if end.code != 0 { throw ExitCode(end.code) }
  }
}
