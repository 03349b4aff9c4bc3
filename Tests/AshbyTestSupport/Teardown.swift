import Synchronization
import Testing

/// Teardown that is awaited: what a test starts (a fake Ashby, a client, a
/// daemon) is stopped when the test ends, pass or fail, before the next
/// begins. A stop started as a detached task from a `defer` stops nothing in
/// time: it runs whenever, after the test, and its failures are nobody's.
///
/// A suite (or test) with the `.teardown` trait runs each test in a scope;
/// `onTeardown { await x.stop() }` inside it registers the stop, and the
/// scope awaits every registered stop, last first, when the test returns or throws.
public struct AwaitedTeardown: TestTrait, SuiteTrait, TestScoping {
  public var isRecursive: Bool { true }

  public func provideScope(
    for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
  ) async throws {
    // A suite's own scope is its tests': each test case gets a scope of its own.
    guard !test.isSuite else { return try await function() }
    let bag = TeardownBag()
    do {
      try await TeardownBag.$current.withValue(bag) { try await function() }
    } catch {
      await bag.run()
      throw error
    }
    await bag.run()
  }
}

extension Trait where Self == AwaitedTeardown {
  /// Awaits each `onTeardown` of the test when it ends.
  public static var teardown: Self { AwaitedTeardown() }
}

/// The stops a test registered, run last first.
final class TeardownBag: Sendable {
  @TaskLocal static var current: TeardownBag?
  private let stops = Mutex<[@Sendable () async -> Void]>([])

  func add(_ stop: @escaping @Sendable () async -> Void) { stops.withLock { $0.append(stop) } }

  func run() async {
    let all = stops.withLock { s -> [@Sendable () async -> Void] in
      defer { s = [] }
      return s
    }
    for stop in all.reversed() { await stop() }
  }
}

/// Registers `stop` to be awaited when the test ends (its suite or test has `.teardown`).
public func onTeardown(_ stop: @escaping @Sendable () async -> Void) {
  guard let bag = TeardownBag.current else {
    Issue.record("onTeardown outside a test with the .teardown trait: nothing would stop this")
    return
  }
  bag.add(stop)
}
