import ArgumentParser
import AshbyScripting

/// `ashby-lua types`: the LuaLS stub file, for editor completion.
struct TypesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "types",
    abstract: "Print the LuaLS type stubs for the ashby table (save as ashby.meta.lua in your editor's library).")

  func run() {
    print(TypeStubs.generate(), terminator: "")
  }
}
