import AshbyFake
import AshbyTestSupport
import Foundation
import Logging
import Synchronization

@testable import AshbyKit

/// A fake Ashby and a client pointed at it, with quick retries.
struct Harness {
  let fake: FakeAshby
  let client: AshbyClient

  static func start(
    key: String = FakeAshby.fullKey, latency: Duration = .zero, configure: (inout AshbyConfiguration) -> Void = { _ in }
  )
    async throws -> Harness
  {
    let fake = try await FakeFixture.start(latency: latency) { $0.retryAfter = "0" }.fake
    var config = AshbyConfiguration(baseURL: fake.baseURL, apiKey: AshbyAPIKey(key))
    config.baseBackoff = .milliseconds(5)
    config.maxBackoff = .milliseconds(50)
    configure(&config)
    let client = AshbyClient(configuration: config, logger: Logger(label: "test") { _ in CapturingLogHandler() })
    return Harness(fake: fake, client: client)
  }

  func stop() async {
    await client.shutdown()
    await fake.stop()
  }
}

/// Every error description a test saw, for the key scan.
final class SeenErrors: Sendable {
  static let shared = SeenErrors()
  private let items = Mutex<[String]>([])
  func add(_ e: any Error) { items.withLock { $0.append("\(e) \(String(reflecting: e))") } }
  var all: [String] { items.withLock { $0 } }
}

/// Runs `body`, expecting an AshbyError; records it for the key scan.
func expectAshbyError(_ body: () async throws -> Void) async -> AshbyError? {
  do {
    try await body()
    return nil
  } catch {
    SeenErrors.shared.add(error)
    return error as? AshbyError
  }
}
