import ArgumentParser
import AshbyScripting

/// `ashby-lua types`: the LuaLS stub file, for editor completion.
package struct TypesCommand: ParsableCommand {
  package init() {}
  package static let configuration = CommandConfiguration(
    commandName: "types",
    abstract: "Print the LuaLS type stubs for the ashby table (save as ashby.meta.lua in your editor's library).")

  package func run() {
    print(TypeStubs.generate(), terminator: "")
  }
}
