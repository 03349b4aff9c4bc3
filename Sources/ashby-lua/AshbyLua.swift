import ArgumentParser
import Foundation

/// `ashby-lua`: script the Ashby ATS in Lua.
@main
struct AshbyLua: AsyncParsableCommand {
  /// Parses and runs; usage errors exit 2 (DESIGN.md §3), not ArgumentParser's 64.
  static func main() async {
    ProcessSecrets.takeFromEnvironment()
    do {
      // Bare `ashby-lua` on a terminal opens the REPL.
      let arguments = Array(CommandLine.arguments.dropFirst())
      var command = try parseAsRoot(arguments.isEmpty && isatty(STDIN_FILENO) != 0 ? ["repl"] : arguments)
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

  static let configuration = CommandConfiguration(
    commandName: "ashby-lua",
    abstract: "Script the Ashby ATS in Lua 5.4.",
    version: "0.1.0",
    subcommands: [
      RunCommand.self, ReplCommand.self, AuthCommand.self, ScheduleCommand.self, FakeServerCommand.self,
      TypesCommand.self, CheckCommand.self,
    ]
  )
}
