import ArgumentParser
import AshbyCatalog
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
    if scriptAndArguments.first == "--version" { throw CleanExit.message(AshbyLua.version) }
    // An option of ours before the script was parsed already: what is left
    // there is a typo, not the script's name (`--dryrun` is no file).
    if let first = scriptAndArguments.first, first.hasPrefix("-"), first != "-", first != "--" {
      let name = String(first.prefix { $0 != "=" })
      let hint = Suggestion.closest(name, Self.optionNames).map { " (did you mean \($0)?)" } ?? ""
      throw ValidationError("unknown option \(name)\(hint); `ashby-lua run --help` lists the options.")
    }
    if scriptAndArguments.isEmpty && execute.isEmpty {
      throw ValidationError("Give a script to run, `-` for standard input, or -e CODE.")
    }
    if planJson != nil && !session.dryRun { throw ValidationError("--plan-json needs --dry-run.") }
  }

  func run() async throws {
    let rest = scriptAndArguments.first == "--" ? Array(scriptAndArguments.dropFirst()) : scriptAndArguments
    let code = await Self.perform(
      script: rest.first, arguments: Array(rest.dropFirst()), chunks: execute, settings: session.settings,
      planJSON: planJson)
    if code != 0 { throw ExitCode(code) }
  }

  /// A run, from plain settings: what `run()` does after parsing, and what
  /// `ashby-lua run SCRIPT ARGS...` with no flags does without parsing.
  static func perform(
    script: String?, arguments args: [String], chunks: [String], settings: SessionSettings, planJSON: String?
  ) async -> Int32 {
    // Started by `schedule`: the report goes back on a pipe, and the run ends with the daemon.
    let report: ReportChannel?
    do {
      report = try ScheduledChild.attach()
    } catch {
      Console.error("ashby-lua: \(error)")
      return Exit.usage
    }
    let runner: ScriptSession
    do {
      runner = try await ScriptSession.start(settings, report: report)
    } catch {
      Console.error("ashby-lua: \(error)")
      return Exit.usage
    }
    let end = await runner.runMain(script: script, arguments: args, chunks: chunks)
    report?.send(RunReport(end: end, client: runner.client))
    await runner.finish(planJSON: planJSON)
    if end.code != 0, let misplaced = args.first(where: { optionNames.contains(String($0.prefix { $0 != "=" })) }) {
      // `run script.lua --fake`: like lua, what follows the script is the script's.
      Console.error(
        "ashby-lua: note: \(misplaced) came after the script, so it went to the script as an argument; ashby-lua's options go before the script (ashby-lua run \(misplaced) \(script ?? "SCRIPT") ...)"
      )
    }
    return end.code
  }

  /// Every option `run` takes, read from its own help text (one fact, one place).
  static let optionNames: [String] = {
    let help = RunCommand.helpMessage(columns: 200)
    var names: [String] = []
    for word in help.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\n" }) {
      let token = word.prefix { $0 != "<" && $0 != "=" }
      guard token.count > 1, token.hasPrefix("-"), !names.contains(String(token)),
        token.dropFirst().allSatisfy({ $0.isLetter || $0 == "-" })
      else { continue }
      names.append(String(token))
    }
    return names
  }()
}
