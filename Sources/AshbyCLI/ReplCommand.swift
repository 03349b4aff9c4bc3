import AshbyPaths
import ArgumentParser
import AshbyRepl
import AshbyScripting
import Foundation

/// `ashby-lua repl` (and bare `ashby-lua` on a terminal).
package struct ReplCommand: AsyncParsableCommand {
  package init() {}
  package static let configuration = CommandConfiguration(
    commandName: "repl",
    abstract: "Try Lua and the ashby table interactively (line editing, history, completion).",
    discussion:
      "When standard input is not a terminal, lines are read from it: no prompts, no colour, one result per line.")

  @OptionGroup var session: SessionOptions

  @Option(help: ArgumentHelp(AuditJournal.stateHelp, valueName: "STATE"))
  package var state: String?

  package func run() async throws {
    // The fake's writes change nothing real: `--fake` keeps no audit log.
    let journal = session.fake ? nil : AuditJournal.forCommand(state: state, origin: "repl")
    let runner = try await ScriptRunner.startOrExit(session.settings, atPrompt: true, journal: journal)
    let code = try await Repl.run(runner, historyFile: Self.historyFile)
    await runner.finish()
    if code != 0 { throw ExitCode(code) }
  }

  /// `$XDG_STATE_HOME/ashby-lua/history` (default `~/.local/state/ashby-lua/history`).
  package static var historyFile: URL { URL(fileURLWithPath: UserFolders.state() + "/history") }
}
