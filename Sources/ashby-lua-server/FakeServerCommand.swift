import ArgumentParser
import AshbyCLI
import AshbyFake
import AshbyProcess
import Foundation

/// `ashby-lua fake-server`: the fake Ashby as a long-running server.
struct FakeServerCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fake-server",
    abstract: ServerCommand.fakeServer.abstract)

  @Option(help: "Port to listen on (0 picks a free one).")
  var port: Int = 0

  @Option(help: ArgumentHelp("Delay every answer by this many milliseconds.", valueName: "MS"))
  var latency: Int = 0

  @Option(
    help: ArgumentHelp(
      "Inject a fault for a share of requests: KIND:RATE with KIND one of 429, 429partner, 5xx, reset, malformed, slow (repeatable).",
      valueName: "KIND:RATE"))
  var fault: [String] = []

  @Option(
    help: ArgumentHelp(
      "Refuse with 429 past N requests in any sliding window of SECONDS (Retry-After: when a slot frees), like a rate-limited Ashby.",
      valueName: "N/SECONDS"))
  var rateLimit: String?

  @Option(help: "Seed for the demo data.")
  var seed: UInt64 = 42

  func validate() throws {
    guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535.") }
    guard (0...3_600_000).contains(latency) else { throw ValidationError("--latency must be from 0 to 3600000 ms.") }
    if let rateLimit, FakeRateLimit(flag: rateLimit) == nil {
      throw ValidationError("--rate-limit \(rateLimit): expected N/SECONDS, like 20/1 or 1000/60.")
    }
    for f in fault where FakeFault(flag: f) == nil {
      throw ValidationError(
        "--fault \(f): expected KIND:RATE with KIND one of \(FakeFault.Kind.allCases.map(\.rawValue).joined(separator: ", ")) and RATE between 0 and 1."
      )
    }
  }

  func run() async throws {
    // Watched before the banner: whoever reads it may stop the server at once.
    let stop = AsyncStream<Void>.makeStream()
    let watcher = SignalWatcher(signals: [SIGINT, SIGTERM]) { stop.continuation.finish() }
    var options = FakeAshby.Options()
    options.port = port
    options.latency = .milliseconds(latency)
    options.faults = fault.compactMap(FakeFault.init(flag:))
    options.seed = seed
    options.rateLimit = rateLimit.flatMap(FakeRateLimit.init(flag:))
    let server = try await FakeAshby.start(options)
    let banner = """
      fake Ashby listening on \(server.baseURL.absoluteString)
      use it with: ASHBY_BASE_URL=\(server.baseURL.absoluteString) ASHBY_API_KEY=\(FakeAshby.fullKey) ashby-lua run SCRIPT
      read-only key: \(FakeAshby.readOnlyKey)

      """
    FileHandle.standardOutput.write(Data(banner.utf8))
    for await _ in stop.stream {}
    withExtendedLifetime(watcher) {}
    await server.stop()
  }
}
