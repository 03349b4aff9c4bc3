import ArgumentParser
import Foundation

/// The part of `main` both programs share: parse, run, and exit with
/// DESIGN.md §3's codes (usage errors 2, not ArgumentParser's 64).
package enum CommandLineMain {
  /// Parses `arguments` against `root` and runs the command.
  package static func run(_ root: any ParsableCommand.Type, _ arguments: [String]) async -> Never {
    do {
      var command = try root.parseAsRoot(arguments)
      if var command = command as? any AsyncParsableCommand {
        try await command.run()
      } else {
        try command.run()
      }
      fflush(nil)
      exit(0)
    } catch {
      let code = root.exitCode(for: error)
      if code == .validationFailure {
        FileHandle.standardError.write(Data((root.fullMessage(for: error) + "\n").utf8))
        exit(Exit.usage)
      }
      root.exit(withError: error)
    }
  }

  /// Bare `ashby-lua` on a terminal opens the REPL.
  package static var arguments: [String] {
    let arguments = Array(CommandLine.arguments.dropFirst())
    return arguments.isEmpty && isatty(STDIN_FILENO) != 0 ? ["repl"] : arguments
  }

  package static let version = "0.1.0"
  package static let abstract = "Script the Ashby ATS in Lua 5.4."
}
