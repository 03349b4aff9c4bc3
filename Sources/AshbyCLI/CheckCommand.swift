import ArgumentParser
import AshbyProcess
import Foundation
import LuaHost

/// `ashby-lua check SCRIPT...`: syntax check, like `luac -p`.
package struct CheckCommand: AsyncParsableCommand {
  package init() {}
  package static let configuration = CommandConfiguration(
    commandName: "check", abstract: "Check scripts for syntax errors without running them (like `luac -p`).")

  @Argument(help: "Scripts to check.")
  package var scripts: [String]

  package func run() async throws {
    let vm = try LuaVM()
    let scripts = self.scripts
    let failures = try await vm.perform { ctx -> [String] in
      var failures: [String] = []
      for script in scripts {
        do {
          try ctx.loadFile(script, rawPath: RawArguments.bytes(of: script))
          ctx.stack.pop()
        } catch {
          failures.append((error as? ScriptError)?.message ?? "\(error)")
        }
      }
      return failures
    }
    for failure in failures { FileHandle.standardError.write(Data("ashby-lua: \(failure)\n".utf8)) }
    if !failures.isEmpty { throw ExitCode(Exit.scriptError) }
  }
}
