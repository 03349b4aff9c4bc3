import AshbyFake
import AshbyKit
import AshbyScripting
import AshbyTestSupport
import Foundation
import LuaHost

/// A fake Ashby, a client and a VM with the ashby table, all in this process.
struct Session {
  let fake: FakeAshby
  let client: AshbyClient
  let vm: LuaVM

  static func start(
    key: String? = FakeAshby.fullKey, dryRun: Bool = false, latency: Duration = .zero,
    rateLimit: FakeRateLimit? = nil, configure: (inout AshbyConfiguration) -> Void = { _ in }
  ) async throws -> Session {
    let fake = try await FakeFixture.start(latency: latency) {
      $0.rateLimit = rateLimit
      $0.retryAfter = "0"
    }.fake
    var config = AshbyConfiguration(baseURL: fake.baseURL, apiKey: key.flatMap(AshbyAPIKey.init))
    config.dryRun = dryRun
    config.baseBackoff = .milliseconds(2)
    config.maxBackoff = .milliseconds(10)
    config.requestsPerMinute = 1_000_000
    configure(&config)
    let session = try await AshbySession.start(config)  // as the CLI builds one
    return Session(fake: fake, client: session.client, vm: session.vm)
  }

  func run(_ source: String, name: String = "@script.lua") async throws -> [LuaValue] {
    try await vm.perform { ctx in try ctx.run(source, name: name) }
  }

  func stop() async {
    await client.shutdown()
    await fake.stop()
  }
}

