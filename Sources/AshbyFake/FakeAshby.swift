import AshbyJSON
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A stateful fake of the Ashby API on loopback, for tests, the demo and `--fake`.
///
/// It speaks the contract in shared/ashby-api.md: Basic auth, `POST
/// /<category>.<method>`, the success/errorInfo envelope with HTTP 200 for API
/// errors, 401/403/429, cursor paging and sync tokens. Faults and latency can
/// be injected; every request is logged for tests to inspect.
public final class FakeAshby: Sendable {
  public struct Options: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port.
    public var port = 0
    public var latency: Duration = .zero
    public var faults: [FakeFault] = []
    public var seed: UInt64 = 42
    /// Seconds sent in `Retry-After` with a 429.
    public var retryAfter = "1"
    /// Candidates in the seed data (at least 60).
    public var candidates = 60
    /// Ashby's rate limit as a sliding window; nil: no limit.
    public var rateLimit: FakeRateLimit?
    /// Ashby's webhook retry waits (10 s, 30 s, 70 s, ... 2.8 hours in all) are
    /// multiplied by this: 1 as Ashby, 0.01 for tests (hours take a minute or two).
    public var webhookTimeScale = 1.0
    public init() {}
  }

  /// A key with every permission, and one that may only read.
  public static let fullKey = "fake-full-access-key-0001"
  public static let readOnlyKey = "fake-read-only-key-0002"
  /// May write, but not act on behalf of a user (`X-On-Behalf-Of` is refused with 403).
  public static let notActingKey = "fake-not-acting-key-0003"
  /// The API version answered when a request asks for none.
  public static let defaultAPIVersion = "2026-01-01"
  static let versionHeader = HTTPField.Name("Ashby-Version")!
  static let versionStatusHeader = HTTPField.Name("Ashby-Version-Status")!
  static let onBehalfOfHeader = HTTPField.Name("X-On-Behalf-Of")!

  struct Mutable {
    var latency: Duration
    var faults: [FakeFault]
    var retryAfter: String
    var log: [FakeRequest] = []
    var arrivals = 0
    var rng = SeededGenerator(seed: 7)
    var rateLimit: FakeRateLimit?
    /// Arrival times of the requests the sliding window let through.
    var admitted: [ContinuousClock.Instant] = []
    /// 429s the sliding window sent.
    var rateLimited = 0
    var deprecatedVersions: Set<String> = []
    /// What notify targets posted to the sink: the target's name and the body.
    var sink: [(target: String, body: String)] = []
    /// Answers instead of the fake's world (a cassette, in `ashby.test.cassette`).
    var replayer: Replayer?
  }

  /// An answer to an endpoint and a JSON body, from elsewhere than the fake's world.
  public typealias Replayer = @Sendable (_ endpoint: String, _ body: Data) -> (status: Int, headers: [String: String], body: [UInt8])

  /// Answers every request with `replayer` from now on (after the injected faults); nil: the world again.
  public func replay(with replayer: Replayer?) { state.withLock { $0.replayer = replayer } }

  let store: FakeStore
  let state: Mutex<Mutable>
  let webhooks: FakeWebhookSender
  private let portBox = PortBox()
  private let task = Mutex<Task<Void, any Error>?>(nil)
  let host: String

  public var baseURL: URL {
    let text = "http://\(host):\(portBox.port.load(ordering: .relaxed))"
    return URL(string: text) ?? URL(fileURLWithPath: "/invalid-host/\(text)")
  }
  public var port: Int { portBox.port.load(ordering: .relaxed) }

  private init(options: Options) {
    host = options.host
    webhooks = FakeWebhookSender(timeScale: options.webhookTimeScale)
    state = Mutex(
      Mutable(
        latency: options.latency, faults: options.faults, retryAfter: options.retryAfter,
        rateLimit: options.rateLimit))
    let portBox = self.portBox
    let host = options.host
    store = FakeStore(seed: options.seed, candidates: options.candidates, baseURL: { "http://\(host):\(portBox.port.load(ordering: .relaxed))" })
  }

  /// Starts the server and returns once it accepts connections.
  public static func start(_ options: Options = Options()) async throws -> FakeAshby {
    let fake = FakeAshby(options: options)
    let router = Router(context: FakeRequestContext.self)
    router.post("_upload/:handle") { request, context in try await fake.upload(request, context) }
    router.get("_files/:name") { _, context in try fake.file(context) }
    router.post("_sink/:name") { request, context in try await fake.sink(request, context) }
    router.post(":endpoint") { request, context in try await fake.respond(request, context) }
    var logger = Logger(label: "ashby-fake")
    logger.logLevel = .critical
    let started = AsyncStream<Int>.makeStream()
    let app = Application(
      router: router,
      configuration: .init(address: .hostname(options.host, port: options.port), serverName: "ashby-fake"),
      onServerRunning: { channel in
        started.continuation.yield(channel.localAddress?.port ?? 0)
        started.continuation.finish()
      },
      logger: logger)
    let task = Task { try await app.run() }
    fake.task.withLock { $0 = task }
    var iterator = started.stream.makeAsyncIterator()
    guard let port = await iterator.next(), port > 0 else {
      task.cancel()
      throw FakeError("the fake Ashby could not listen on \(options.host):\(options.port)")
    }
    fake.portBox.port.store(port, ordering: .relaxed)
    return fake
  }

  public func stop() async {
    let task = self.task.withLock { t -> Task<Void, any Error>? in
      defer { t = nil }
      return t
    }
    task?.cancel()
    _ = try? await task?.value
    await webhooks.shutdown()
  }

  // MARK: Webhooks

  /// Registers a webhook as `webhook.create` would (how `--fake --listen` wires the fake to the daemon).
  @discardableResult
  public func registerWebhook(type: String, url: String, secret: String) -> String? {
    let params: JSONObject = ["webhookType": .string(type), "requestUrl": .string(url), "secretToken": .string(secret)]
    guard case .results(let hook, _) = store.withLock({ store.webhookCreate(params) }) else { return nil }
    return hook["id"]?.string
  }

  /// The webhooks registered: id, type, URL, enabled (never the secret).
  public var registeredWebhooks: [(id: String, type: String, url: String, enabled: Bool)] {
    store.withData { d in
      d.webhooks.map {
        ($0["id"]?.string ?? "", $0["webhookType"]?.string ?? "", $0["requestUrl"]?.string ?? "",
          $0["enabled"]?.bool ?? false)
      }
    }
  }

  /// Every POST to a webhook so far: URL, event, HTTP status (0: no connection).
  public var webhookAttempts: [(url: String, action: String, webhookActionId: String, status: Int)] {
    webhooks.attemptsMade.map { ($0.url, $0.action, $0.webhookActionId, $0.status) }
  }

  // MARK: Test controls

  /// Where the notify target `name` posts on this fake: its sink.
  public func sinkURL(_ name: String) -> URL { baseURL.appendingPathComponent("_sink/\(name)") }

  /// Each named notify target's URL at `fake`'s sink.
  public static func sinkURLs(_ names: some Sequence<String>, at fake: FakeAshby) -> [String: String] {
    Dictionary(uniqueKeysWithValues: names.map { ($0, fake.sinkURL($0).absoluteString) })
  }

  /// What `ashby.notify` posted to the fake's sink (`POST /_sink/NAME`), in order.
  public var sinkMessages: [(target: String, body: String)] { state.withLock { $0.sink } }

  /// Requests answered (or dropped), in order.
  public var requests: [FakeRequest] { state.withLock { $0.log } }
  /// Requests received so far, counted on arrival (before any injected latency).
  public var arrivals: Int { state.withLock { $0.arrivals } }
  public func requests(to endpoint: String) -> [FakeRequest] { requests.filter { $0.endpoint == endpoint } }
  public func count(_ endpoint: String) -> Int { requests(to: endpoint).count }
  public func clearLog() { state.withLock { $0.log.removeAll() } }
  public func setFaults(_ faults: [FakeFault]) { state.withLock { $0.faults = faults } }
  public func addFault(_ fault: FakeFault) { state.withLock { $0.faults.append(fault) } }
  public func setLatency(_ latency: Duration) { state.withLock { $0.latency = latency } }
  public func setRetryAfter(_ value: String) { state.withLock { $0.retryAfter = value } }
  /// API versions answered with `Ashby-Version-Status: deprecated`.
  public func setDeprecatedVersions(_ versions: Set<String>) { state.withLock { $0.deprecatedVersions = versions } }
  var deprecatedVersions: Set<String> { state.withLock { $0.deprecatedVersions } }
  /// Changes the sliding-window limit from now on (nil: none); what it admitted so far still counts.
  public func setRateLimit(_ limit: FakeRateLimit?) { state.withLock { $0.rateLimit = limit } }

  /// 429s sent by the sliding-window limit so far.
  public var rateLimitedCount: Int { state.withLock { $0.rateLimited } }
  /// When each request the limit let through arrived.
  public var admittedArrivals: [ContinuousClock.Instant] { state.withLock { $0.admitted } }
  /// Expires every sync token handed out so far.
  public func expireSyncTokens() { store.withData { $0.tokenEpoch += 1 } }

  /// Candidates whose primary email is `email` (to check "created exactly once").
  public func candidates(withEmail email: String) -> Int {
    store.withData { d in
      d.candidates.filter { $0["primaryEmailAddress"]?["value"]?.string?.lowercased() == email.lowercased() }.count
    }
  }

  public var noteCount: Int { store.withData { $0.notes.count } }
  /// What each note says, oldest first.
  public var noteContents: [String] { store.withData { $0.notes.compactMap { $0["content"]?.string } } }
  public var scheduleCount: Int { store.withData { $0.schedules.count } }
  public var applicationCount: Int { store.withData { $0.applications.count } }
  public var candidateCount: Int { store.withData { $0.candidates.count } }

  /// The current stage title of an application.
  public func stageTitle(ofApplication id: String) -> String? {
    store.withData { d in d.applications.first { $0["id"]?.string == id }?["currentInterviewStage"]?["title"]?.string }
  }

  /// An application's status and archive reason text (nil when it has none).
  public func archiveState(ofApplication id: String) -> (status: String?, reason: String?) {
    store.withData { d in
      let app = d.applications.first { $0["id"]?.string == id }
      return (app?["status"]?.string, app?["archiveReason"]?["text"]?.string)
    }
  }

  /// Rejection emails scheduled so far: application id, template id, send time.
  public var archiveEmails: [(application: String, template: String?, sendAt: String?)] {
    store.withData { d in
      d.archiveEmails.map { ($0.applicationId, $0.email["communicationTemplateId"]?.string, $0.email["sendAt"]?.string) }
    }
  }

  /// When an application entered the stage it is in (its stage history's last entry), as Ashby writes times.
  public func enteredCurrentStage(ofApplication id: String) -> String? {
    store.withData { $0.history[.string(id)]?.last?["enteredStageAt"]?.string }
  }

  /// Applications in the stage titled `title` now.
  public func applications(inStage title: String) -> [String] {
    store.withData { d in
      d.applications.filter { $0["currentInterviewStage"]?["title"]?.string == title }.compactMap { $0["id"]?.string }
    }
  }

  /// Whether a candidate has a resume attached.
  public func hasResume(candidate id: String) -> Bool {
    store.withData { d in d.candidates.first { $0["id"]?.string == id }?["resumeFileHandle"] != nil }
  }

  /// Ids for tests, by position in the seed data.
  public func seedIDs(_ kind: String) -> [String] {
    store.withData { d in
      let items: [JSONObject]
      switch kind {
      case "job": items = d.jobs
      case "candidate": items = d.candidates
      case "application": items = d.applications
      case "department": items = d.departments
      case "location": items = d.locations
      case "user": items = d.users
      case "archive_reason": items = d.archiveReasons
      case "template": items = d.communicationTemplates
      case "stage": items = d.plans.keys.compactMap(\.string).sorted().flatMap { d.plans[.string($0)] ?? [] }
      default: items = []
      }
      return items.compactMap { $0["id"]?.string }
    }
  }
}

/// The bound port, shared with the store (which builds upload URLs).
final class PortBox: Sendable {
  let port = Atomic<Int>(0)
}

struct FakeError: Error, CustomStringConvertible {
  let description: String
  init(_ d: String) { description = d }
}

/// Hummingbird's basic context, plus the channel (to drop a connection on purpose).
struct FakeRequestContext: RequestContext {
  var coreContext: CoreRequestContextStorage
  let channel: any Channel
  init(source: ApplicationRequestContextSource) {
    coreContext = .init(source: source)
    channel = source.channel
  }
}
