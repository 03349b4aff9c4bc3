import AshbyFake
import Foundation

/// A fake Ashby for a test, and the environment that points the binary at it: the one way
/// tests start the fake. In a `.teardown` scope it is stopped when the test ends.
public struct FakeFixture: Sendable {
  public let fake: FakeAshby
  public var env: [String: String] {
    ["ASHBY_BASE_URL": fake.baseURL.absoluteString, "ASHBY_API_KEY": FakeAshby.fullKey]
  }

  /// - Parameter configure: more options (a rate limit, faults, `retryAfter`) over the tests' defaults.
  public static func start(
    latency: Duration = .zero, _ configure: (inout FakeAshby.Options) -> Void = { _ in }
  ) async throws -> FakeFixture {
    var options = FakeAshby.Options()
    options.latency = latency
    options.webhookTimeScale = 0.01  // Ashby's retry waits, 10 s to 2.8 h, in 0.1 s to 100 s
    configure(&options)
    let fake = try await FakeAshby.start(options)
    TeardownBag.current?.add { await fake.stop() }
    return FakeFixture(fake: fake)
  }

  /// Stops the fake now (it is safe to stop twice).
  public func stop() async { await fake.stop() }
}
