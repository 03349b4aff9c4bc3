import ArgumentParser
import AshbyCLI
import AshbyFake
import AshbyPostgres
import AshbyProcess
import AshbyScripting
import AshbyState
import CProcessGuard
import Foundation

/// `ashby-lua-server`: every `ashby-lua` command, with the servers linked:
/// the daemon (`schedule run`), the webhooks' commands, the fake Ashby
/// (`fake-server`, `--fake`) and PostgreSQL. `ashby-lua` hands itself over
/// to this program for those; it is installed beside it.
@main
struct AshbyLuaServer: AsyncParsableCommand {
  static func main() async {
    _ = pg_make_undumpable()
    ProcessSecrets.take(ProcessSecrets.atStart)
    unsetenv(Handover.marker)  // for this program only, not for what it starts
    ProgramParts.register(demo: { FakeDemo(server: try await FakeAshby.start()) }, postgres: StateLocation.postgres)
    await CommandLineMain.run(AshbyLuaServer.self, CommandLineMain.arguments)
  }

  static let configuration = CommandConfiguration(
    commandName: "ashby-lua", abstract: CommandLineMain.abstract, version: CommandLineMain.version,
    subcommands: [
      RunCommand.self, ReplCommand.self, AuthCommand.self, ScheduleCommand.self, FakeServerCommand.self,
      TypesCommand.self, CheckCommand.self, HookCommand.self, AuditCommand.self, PlanCommand.self, ApplyCommand.self,
      UndoCommand.self, TestCommand.self, MCPCommand.self,
    ]
  )
}

/// The fake Ashby, for `--fake`.
struct FakeDemo: DemoServer {
  let server: FakeAshby
  var baseURL: URL { server.baseURL }
  var key: String { FakeAshby.fullKey }
  func stop() async { await server.stop() }
  func sampleEvent(_ type: String) -> Data? { server.sampleEvent(type) }
  func sinkURL(_ name: String) -> URL { server.sinkURL(name) }
}
