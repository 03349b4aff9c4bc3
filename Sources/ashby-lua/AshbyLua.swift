import ArgumentParser
import AshbyCLI
import AshbyProcess
import CProcessGuard
import Foundation

/// `ashby-lua`: script the Ashby ATS in Lua.
///
/// This program links what running a script needs and no server, so that a
/// run starts about as fast as a bare Swift program: `schedule`, `hook` and
/// `fake-server`, `--fake` and a PostgreSQL state hand this process over to
/// `ashby-lua-server`, installed beside it (`Handover`).
@main
struct AshbyLua: AsyncParsableCommand {
  static func main() async {
    // Before anything else: no other process of this user reads the key out of
    // our memory, our environment or a core file.
    _ = pg_make_undumpable()
    ProcessSecrets.take(ProcessSecrets.atStart)
    let arguments = Array(CommandLine.arguments.dropFirst())
    if Handover.isForServer(arguments) {
      Handover.toServer(for: "`ashby-lua \(arguments.first ?? "")`")
    }
    // `run SCRIPT ARGS...` without flags, what schedules, hooks and shell loops
    // start over and over: everything after the script is the script's, so
    // there is nothing to parse (the parser's reflection was a quarter of a cold start).
    if arguments.count >= 2, arguments[0] == "run", !arguments[1].hasPrefix("-") {
      let code = await RunCommand.perform(
        script: arguments[1], arguments: Array(arguments.dropFirst(2)), chunks: [], settings: .defaults, planFile: nil)
      fflush(nil)
      Foundation.exit(code)
    }
    // Other `run`s parse against a tree of one subcommand, not all of them
    // (ArgumentParser reflects every command it is given; a fifth of a cold start).
    await CommandLineMain.run(arguments.first == "run" ? RunOnly.self : AshbyLua.self, CommandLineMain.arguments)
  }

  static let configuration = CommandConfiguration(
    commandName: "ashby-lua", abstract: CommandLineMain.abstract, version: CommandLineMain.version,
    subcommands: [
      RunCommand.self, ReplCommand.self, AuthCommand.self, ScheduleHandover.self, FakeServerHandover.self,
      TypesCommand.self, CheckCommand.self, HookHandover.self, AuditCommand.self, PlanCommand.self, ApplyCommand.self,
      UndoCommand.self, TestHandover.self, MCPHandover.self,
    ]
  )
}

/// The command tree for `ashby-lua run ...`: the same names, help and errors,
/// without the other subcommands.
struct RunOnly: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ashby-lua", version: CommandLineMain.version, subcommands: [RunCommand.self])
}

/// The server's subcommands, as `ashby-lua --help` lists them; `main` hands
/// them over before parsing, so these never run.
struct ScheduleHandover: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "schedule", abstract: ServerCommand.schedule.abstract)
}
struct HookHandover: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "hook", abstract: ServerCommand.hook.abstract)
}
struct MCPHandover: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "mcp", abstract: ServerCommand.mcp.abstract)
}
struct TestHandover: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "test", abstract: ServerCommand.test.abstract)
}
struct FakeServerHandover: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "fake-server", abstract: ServerCommand.fakeServer.abstract)
}
