import ArgumentParser
import AshbyProcess
import AshbyScheduler
import CProcessGuard
import Foundation

/// `ashby-lua`: script the Ashby ATS in Lua.
@main
struct AshbyLua: AsyncParsableCommand {
  /// Parses and runs; usage errors exit 2 (DESIGN.md §3), not ArgumentParser's 64.
  static func main() async {
    // Before anything else: no other process of this user reads the key out of
    // our memory, our environment or a core file.
    _ = pg_make_undumpable()
    ProcessSecrets.take(ProcessSecrets.atStart)
    do {
      // Bare `ashby-lua` on a terminal opens the REPL.
      let arguments = Array(CommandLine.arguments.dropFirst())
      // `run SCRIPT ARGS...` without flags, what schedules, hooks and shell loops
      // start over and over: everything after the script is the script's, so
      // there is nothing to parse (the parser's reflection was a quarter of a cold start).
      if arguments.count >= 2, arguments[0] == "run", !arguments[1].hasPrefix("-") {
        let code = await RunCommand.perform(
          script: arguments[1], arguments: Array(arguments.dropFirst(2)), chunks: [], settings: .defaults,
          planJSON: nil)
        fflush(nil)
        Foundation.exit(code)
      }
      // `run` is what schedules, hooks and shell loops start over and over: parse
      // it against a tree of one subcommand, not all of them (ArgumentParser
      // reflects every command it is given; that was a fifth of a cold start).
      var command =
        arguments.first == "run"
        ? try RunOnly.parseAsRoot(arguments)
        : try parseAsRoot(arguments.isEmpty && isatty(STDIN_FILENO) != 0 ? ["repl"] : arguments)
      if var command = command as? any AsyncParsableCommand {
        try await command.run()
      } else {
        try command.run()
      }
    } catch {
      let code = exitCode(for: error)
      if code == .validationFailure {
        FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
        Foundation.exit(Exit.usage)
      }
      exit(withError: error)
    }
  }

  static let version = "0.1.0"

  static let configuration = CommandConfiguration(
    commandName: "ashby-lua",
    abstract: "Script the Ashby ATS in Lua 5.4.",
    version: version,
    subcommands: [
      RunCommand.self, ReplCommand.self, AuthCommand.self, ScheduleCommand.self, FakeServerCommand.self,
      TypesCommand.self, CheckCommand.self, HookCommand.self,
    ]
  )
}

/// The command tree for `ashby-lua run ...`: the same names, help and errors,
/// without the other subcommands.
struct RunOnly: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ashby-lua", version: AshbyLua.version, subcommands: [RunCommand.self])
}
