import Foundation
import ArgumentParser

/// `ashby-lua`: script the Ashby ATS in Lua.
@main
struct AshbyLua: AsyncParsableCommand {
  /// Parses and runs; usage errors exit 2 (DESIGN.md §3), not ArgumentParser's 64.
  static func main() async {
    do {
      var command = try parseAsRoot()
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
    subcommands: [RunCommand.self, CheckCommand.self, TypesCommand.self, FakeServerCommand.self]
  )
}
