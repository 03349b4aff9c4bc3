import ArgumentParser

/// `ashby-lua`: script the Ashby ATS in Lua.
@main
struct AshbyLua: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ashby-lua",
    abstract: "Script the Ashby ATS in Lua 5.4.",
    version: "0.1.0",
    subcommands: [RunCommand.self, CheckCommand.self, TypesCommand.self, FakeServerCommand.self]
  )
}
