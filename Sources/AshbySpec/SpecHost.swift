import AshbyCatalog
import AshbyFake
import AshbyJSON
import AshbyKit
import AshbyScripting
import Foundation
import LuaHost
import Synchronization

/// What `ashby.test` stands on, for one spec file: its fake Ashby and its
/// client. Registered as `ashby_spec.*` for `spec.lua`, which builds the
/// public `ashby.test` table over them.
struct SpecHost: Sendable {
  let fake: FakeAshby
  let client: AshbyClient
  let scripts: ScriptUnderTest
  /// The state the current test's scripts share (their feeds' places, their audit log): a new one per test.
  let testState = TestState()

  final class TestState: Sendable {
    private let id = Mutex(UUID())
    var current: UUID { id.withLock { $0 } }
    func renew() { id.withLock { $0 = UUID() } }
  }

  func install(into ctx: LuaContext) {
    let fake = self.fake, client = self.client, scripts = self.scripts, testState = self.testState
    let started = ContinuousClock.now
    ctx.register("ashby_spec.now") { stack in
      let elapsed = ContinuousClock.now - started
      stack.push(.number(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))
      return 1
    }
    // A test's fresh world: the fixture (a table or a JSON file's path), at the frozen time if any.
    // Inside a test (a third argument, true) only the data: the test's writes and faults so far are kept.
    ctx.registerAsync(
      "ashby_spec.load",
      prepare: { stack in
        let withinTest = stack.count >= 3 ? try stack.value(at: 3) == .boolean(true) : false
        return (try Self.fixture(stack, fake: fake), withinTest)
      }
    ) { input in
      let ((fixture, now), withinTest) = input
      do {
        if withinTest { try fake.replaceWorld(with: fixture, now: now) } else { try fake.reset(to: fixture, now: now) }
      } catch { throw SpecError("ashby.test.fixture: \(error)") }
      if !withinTest { testState.renew() }
      await client.forgetLearned()  // names resolved in the old world mean nothing in the new one
      return []
    }
    ctx.register("ashby_spec.writes") { stack in
      stack.push(.array(Self.writes(fake.requests)))
      return 1
    }
    ctx.registerAsync(
      "ashby_spec.run",
      prepare: { stack in
        var event: JSONValue?
        if stack.count >= 4 {
          let given = try JSONBridge.json(try stack.value(at: 4), path: "event", action: "ashby.test.run")
          if given != .null { event = given }
        }
        var run = ScriptUnderTest.Run(
          script: stack.string(at: 1) ?? "", arguments: try stack.value(at: 2).arrayValue?.compactMap(\.stringValue) ?? [],
          clock: stack.number(at: 3), event: event, state: testState.current)
        run.feed = stack.count >= 5 ? stack.string(at: 5) : nil
        return run
      }
    ) { run in
      [try await scripts.run(run, baseURL: fake.baseURL).lua]
    }
    ctx.register("ashby_spec.fault") { stack in
      let options = try stack.value(at: 1)
      try SpecFault.apply(options, to: fake)
      return 0
    }
    // The rest of the test is answered from a cassette, by the fake: scripts the test runs too.
    ctx.register("ashby_spec.cassette") { stack in
      guard let path = stack.string(at: 1) else { throw SpecError("ashby.test.cassette expects a cassette's path") }
      let cassette: Cassette
      do { cassette = try Cassette(path: path, mode: .replay) } catch { throw SpecError("ashby.test.cassette: \(error)") }
      fake.replay { endpoint, body in cassette.replay(endpoint: endpoint, body: body) }
      return 0
    }
    ctx.register("ashby_spec.parse_time") { stack in
      if let text = stack.string(at: 1), let date = Timestamps.parse(text) {
        stack.push(.number(date.timeIntervalSince1970))
      } else {
        stack.push(.nil)
      }
      return 1
    }
  }

  /// The fixture argument, read on the VM thread: nil (the demo data), a table, or a JSON file.
  static func fixture(_ stack: LuaStack, fake: FakeAshby) throws -> (FakeWorld?, Date) {
    let now = stack.number(at: 2).map { Date(timeIntervalSince1970: $0) } ?? Date()
    let value = try stack.value(at: 1)
    switch value {
    case .nil: return (nil, now)
    case .string(let path):
      guard let data = FileManager.default.contents(atPath: path) else {
        throw SpecError("ashby.test.fixture: cannot read \(path)")
      }
      guard let json = try? JSONValue.decode(data) else { throw SpecError("ashby.test.fixture: \(path) is not JSON") }
      return (try made(json), now)
    default:
      let json = try JSONBridge.json(value, path: "fixture", action: "ashby.test.fixture")
      return (try made(json), now)
    }
    func made(_ json: JSONValue) throws(SpecError) -> FakeWorld {
      do { return try FakeWorld(json.array?.isEmpty == true ? .object([:]) : json) } catch {
        throw SpecError("ashby.test.fixture: \(error)")
      }
    }
  }

  /// The writes the fake received, in order, with their params as sent: every
  /// request to a write endpoint but those an injected 429 or 5xx turned away.
  static func writes(_ requests: [FakeRequest]) -> [LuaValue] {
    requests.filter { Catalog.isWrite($0.endpoint) && $0.status != 429 && $0.status < 500 }.map { request in
      .object(["endpoint": .string(request.endpoint), "params": JSONBridge.lua(.object(request.json))])
    }
  }
}

/// `ashby.test.fault{...}`: what the fake does wrong for the rest of the test.
enum SpecFault {
  static let help =
    "ashby.test.fault expects { kind = \"429\" | \"5xx\" | \"reset\" | \"malformed\" | \"slow\" | \"latency\", endpoint = ..., count = N | rate = 0..1, seconds = S (latency), retry_after = S }"

  static let keys: Set<String> = ["kind", "status", "endpoint", "count", "rate", "seconds", "retry_after"]

  static func apply(_ options: LuaValue, to fake: FakeAshby) throws {
    guard let o = options.objectValue else { throw SpecError(help) }
    if let unknown = o.keys.first(where: { !keys.contains($0) }) {
      throw SpecError("ashby.test.fault: unknown key \"\(unknown)\"; \(help)")
    }
    let given = o["kind"] ?? o["status"] ?? .nil
    guard let kind = given.stringValue ?? given.integerValue.map(String.init) else { throw SpecError(help) }
    if kind == "latency" {
      guard let seconds = o["seconds"]?.doubleValue, seconds >= 0, seconds <= 600 else {
        throw SpecError("ashby.test.fault: latency needs seconds = 0..600")
      }
      fake.setLatency(.milliseconds(Int(seconds * 1000)))  // 0...600 000: in range
      return
    }
    let name = kind.count == 3 && kind.hasPrefix("5") ? "5xx" : kind
    guard let fault = FakeFault.Kind(rawValue: name) else { throw SpecError(help) }
    var count: Int?
    if let value = o["count"] {
      guard let n = value.integerValue, n > 0, n <= 1_000_000 else { throw SpecError("ashby.test.fault: count must be a whole number above 0") }
      count = Int(n)
    }
    var rate = count == nil ? 1.0 : 0
    if let value = o["rate"] {
      guard let r = value.doubleValue, (0...1).contains(r) else { throw SpecError("ashby.test.fault: rate must be from 0 to 1") }
      rate = r
    }
    if let value = o["retry_after"] {
      guard let retry = value.doubleValue, retry.isFinite, (0...600).contains(retry) else {
        throw SpecError("ashby.test.fault: retry_after must be 0..600 seconds")
      }
      fake.setRetryAfter(String(Int(retry)))  // 0...600: in range
    }
    fake.addFault(FakeFault(fault, endpoint: o["endpoint"]?.stringValue, count: count, rate: rate))
  }
}

/// A spec's mistake with `ashby.test`, raised in Lua as an argument error.
struct SpecError: Error, CustomStringConvertible, LuaErrorConvertible {
  let description: String
  init(_ description: String) { self.description = description }
  var luaErrorFields: [String: LuaValue] { ["kind": .string(LuaErrorKind.argument.rawValue), "message": .string(description)] }
}
