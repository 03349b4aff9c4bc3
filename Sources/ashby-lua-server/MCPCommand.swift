import ArgumentParser
import AshbyCLI
import AshbyFake
import AshbyKit
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

  @Option(
    help: ArgumentHelp(
      "Serve streamable HTTP at http://HOST:PORT/mcp instead of stdio (loopback unless HOST says otherwise; PORT 0 picks one).",
      valueName: "HOST:PORT"))
  var listen: String?

  @Option(
    help: ArgumentHelp(
      "With --listen: the environment variable holding the bearer token clients must send (required off loopback).",
      valueName: "NAME"))
  var tokenEnv: String?

  /// `--listen`'s host and port.
  var address: (host: String, port: Int)? {
    guard let listen, let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
      (0...65535).contains(port)
    else { return nil }
    let host = String(listen[..<colon])
    return (host.isEmpty ? "127.0.0.1" : host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port)
  }

  func validate() throws {
    guard (1...64).contains(maxConcurrentScripts) else { throw ValidationError("--max-concurrent-scripts must be from 1 to 64.") }
    guard timeout > 0 && timeout <= 86_400 else { throw ValidationError("--timeout must be from 0 to 86400 seconds.") }
    if let maxWrites, !(0...1_000_000).contains(maxWrites) { throw ValidationError("--max-writes must be from 0 to 1000000.") }
    if fake && baseURL != nil { throw ValidationError("--fake and --base-url cannot be used together.") }
    if listen != nil && address == nil { throw ValidationError("--listen must be HOST:PORT, like 127.0.0.1:8765.") }
    if tokenEnv != nil && listen == nil { throw ValidationError("--token-env goes with --listen.") }
    if let address, !MCPHTTPListener.isLoopback(address.host), tokenEnv == nil {
      throw ValidationError("--listen \(address.host) is not loopback: give a bearer token with --token-env NAME.")
    }
  }

  func run() async throws {
    var token: String?
    if let name = tokenEnv {
      ProcessSecrets.take([name])  // out of our environment before any child's is made from it
      guard let value = ProcessSecrets.value(name), !value.isEmpty else {
        throw ValidationError("--token-env \(name): the variable is not set.")
      }
      token = value
    }
    let beside = Handover.beside("ashby-lua")
    let program = FileManager.default.isExecutableFile(atPath: beside) ? beside : Handover.beside(Handover.serverName)
    var environment = ProcessSecrets.childEnvironment()
    let server: FakeAshby? = fake ? try await FakeAshby.start() : nil
    var stateSpec = state
    var scratch: URL?
    var keys: [AshbyAPIKey] = []
    if server != nil {
      environment[ProcessSecrets.apiKeyVariable] = FakeAshby.fullKey
      keys = [AshbyAPIKey(FakeAshby.fullKey)].compactMap { $0 }
      if stateSpec == nil {  // the demo's plans and audit rows stay out of the user's state
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ashby-lua-mcp-state-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
          at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        scratch = folder
        stateSpec = folder.appendingPathComponent("state.sqlite").path
      }
    } else {
      if let key = ProcessSecrets.apiKey {
        environment[ProcessSecrets.apiKeyVariable] = key  // our own program takes it out at once (ProcessSecrets)
      }
      // The key the children will use, from the environment or the profile: never in what goes to the agent.
      if let (key, _) = try? AuthConfig.resolve(profile: profile ?? RunSettings.defaults.profile), let key { keys = [key] }
    }
    var settings = MCPSettings(
      program: program, baseURL: server?.baseURL.absoluteString ?? baseURL, profile: profile, state: stateSpec,
      environment: environment, secrets: [ProcessSecrets.apiKey, ProcessSecrets.value("PGPASSWORD"), token].compactMap { $0 },
      allowApply: allowApply || fake, maxWrites: maxWrites, maxConcurrentScripts: maxConcurrentScripts,
      timeoutCap: timeout)
    settings.keys = keys
    let mcp = try AshbyMCPServer(settings: settings)
    // Stopped by a signal, the work folders (scripts' output, plans' files) go too.
    let stop = SignalWatcher(signals: [SIGINT, SIGTERM]) { [scratch] in
      mcp.stopNow()
      if let scratch { try? FileManager.default.removeItem(at: scratch) }
      Foundation.exit(0)
    }
    defer { withExtendedLifetime(stop) {} }
    if let address {
      let listener = MCPHTTPListener(
        server: mcp, host: address.host, port: address.port, token: token, version: CommandLineMain.version)
      try await listener.run { port in Console.error("ashby-lua mcp: listening on http://\(address.host):\(port)/mcp") }
      mcp.finish()
    } else {
      // A client gone mid-answer is an EPIPE to handle (the children end, the folder goes), not a death.
      signal(SIGPIPE, SIG_IGN)
      try await mcp.serve(LineTransport(), version: CommandLineMain.version)
    }
    await server?.stop()
    if let scratch { try? FileManager.default.removeItem(at: scratch) }
  }
}
