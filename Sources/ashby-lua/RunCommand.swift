import ArgumentParser
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

  /// For `schedule`: how the run ended, as JSON, for the history.
  @Option(help: .private)
  var report: String?

  /// For `schedule`: the folder to run in (the schedule file's).
  @Option(help: .private)
  var directory: String?

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
    if let directory, !FileManager.default.changeCurrentDirectoryPath(directory) {
      Console.error("ashby-lua: cannot change to the folder \(directory)")
      throw ExitCode(Exit.usage)
    }
    let script = scriptAndArguments.first
    let args = Array(scriptAndArguments.dropFirst())
    let runner = try await ScriptSession.startOrExit(session, report: report)
    let end = await runner.runMain(script: script, arguments: args, chunks: execute)
    if let report { RunReport(end: end, client: runner.client).write(to: report) }
    await runner.finish(planJSON: planJson)
    if end.code != 0 { throw ExitCode(end.code) }
  }
}
