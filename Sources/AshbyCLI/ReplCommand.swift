import AshbyPaths
import ArgumentParser
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

  package func run() async throws {
    let runner = try await ScriptRunner.startOrExit(session.settings)
    try await runner.vm.perform { ctx in
      try ctx.load(
        "local repl = require('ashby.repl'); ashby_repl_run, ashby_repl_complete, ashby_repl_chart = repl.run, repl.complete, repl.chart",
        name: "=repl")
      try ctx.call { _, _ in () }
    }
    let interactive = isatty(STDIN_FILENO) != 0
    let color = interactive && isatty(STDOUT_FILENO) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
    let vm = runner.vm
    let reader: any LineReader & Sendable =
      interactive
      ? EditLineReader(historyFile: Self.historyFile, complete: { Repl.completions(vm, $0, line: $1) })
      : PipeReader()
    var repl = Repl(session: runner, reader: reader, interactive: interactive, color: color)
    let code = await repl.loop()
    await runner.finish()
    if code != 0 { throw ExitCode(code) }
  }

  /// `$XDG_STATE_HOME/ashby-lua/history` (default `~/.local/state/ashby-lua/history`).
  package static var historyFile: URL { URL(fileURLWithPath: UserFolders.state() + "/history") }
}
