import ArgumentParser
import AshbyCLI
import AshbyFake
import AshbyMCP
import AshbyProcess
import AshbyScripting
import Foundation
import MCP

/// `ashby-lua mcp`: the MCP server over stdio (docs/mcp.md). Its own log goes to stderr; stdout is the protocol's.
struct MCPCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(commandName: "mcp", abstract: ServerCommand.mcp.abstract)

  @Flag(help: "One fake Ashby with demo data for the server's life: every script and apply uses it; plans apply without asking.")
  var fake = false

  @Option(help: ArgumentHelp("Ashby's base URL (default: $ASHBY_BASE_URL, else https://api.ashbyhq.com).", valueName: "URL"))
  var baseURL: String?

  @Option(help: ArgumentHelp("The profile in config.toml that holds the API key.", valueName: "NAME"))
  var profile: String?

  @Option(help: ArgumentHelp("Where plans and the audit log are kept (as `run --state`).", valueName: "STATE"))
  var state: String?

  @Flag(help: "apply_plan applies without asking a person (else it asks through the client, or refuses).")
  var allowApply = false

  @Option(help: ArgumentHelp("At most N writes in any plan it applies.", valueName: "N"))
  var maxWrites: Int?

  @Option(help: ArgumentHelp("Scripts running at once; more wait their turn.", valueName: "N"))
  var maxConcurrentScripts = 4

  @Option(help: ArgumentHelp("The most seconds a run_script call may ask for.", valueName: "SECONDS"))
  var timeout: Double = 300

  func validate() throws {
    guard (1...64).contains(maxConcurrentScripts) else { throw ValidationError("--max-concurrent-scripts must be from 1 to 64.") }
    guard timeout > 0 && timeout <= 86_400 else { throw ValidationError("--timeout must be from 0 to 86400 seconds.") }
    if let maxWrites, !(0...1_000_000).contains(maxWrites) { throw ValidationError("--max-writes must be from 0 to 1000000.") }
    if fake && baseURL != nil { throw ValidationError("--fake and --base-url cannot be used together.") }
  }

  func run() async throws {
    let beside = Handover.beside("ashby-lua")
    let program = FileManager.default.isExecutableFile(atPath: beside) ? beside : Handover.beside(Handover.serverName)
    var environment = ProcessSecrets.childEnvironment()
    let server: FakeAshby? = fake ? try await FakeAshby.start() : nil
    var stateSpec = state
    var scratch: URL?
    if let server {
      environment[ProcessSecrets.apiKeyVariable] = FakeAshby.fullKey
      if stateSpec == nil {  // the demo's plans and audit rows stay out of the user's state
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ashby-lua-mcp-state-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        scratch = folder
        stateSpec = folder.appendingPathComponent("state.sqlite").path
      }
      _ = server
    } else if let key = ProcessSecrets.apiKey {
      environment[ProcessSecrets.apiKeyVariable] = key  // our own program takes it out at once (ProcessSecrets)
    }
    let settings = MCPSettings(
      program: program, baseURL: server?.baseURL.absoluteString ?? baseURL, profile: profile, state: stateSpec,
      environment: environment, secrets: [ProcessSecrets.apiKey, ProcessSecrets.value("PGPASSWORD")].compactMap { $0 },
      allowApply: allowApply || fake, maxWrites: maxWrites, maxConcurrentScripts: maxConcurrentScripts,
      timeoutCap: timeout, memoryCapMB: 256)
    let mcp = try AshbyMCPServer(settings: settings)
    try await mcp.serve(StdioTransport(), version: CommandLineMain.version)
    await server?.stop()
    if let scratch { try? FileManager.default.removeItem(at: scratch) }
  }
}
