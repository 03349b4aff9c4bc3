import AshbyJSON
import AshbyProcess
import AshbyScheduler
import AshbySignature
import AshbyState
import AshbyWebhook
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// `POST /hooks/<name>` and `GET /healthz`: where Ashby delivers webhooks to
/// the daemon (`schedule run --listen`).
///
/// A delivery is answered within a bounded time whatever the sender does:
/// the body is capped and must arrive within `bodyDeadline`; the signature is
/// checked over the raw bytes before anything reads them; only then is it
/// parsed, filtered, deduplicated and stored, and 2xx goes out once it is on
/// disk. The script runs later (`HookDispatcher`), so Ashby never waits on it.
///
/// It is the daemon's listener service: Hummingbird's server in the daemon's
/// `ServiceGroup`. On the group's graceful shutdown it stops accepting,
/// closes idle connections, answers the requests under way (a delivery being
/// stored is stored and acknowledged), and returns. It is never cancelled
/// to stop: a connection torn down mid-request is how Ashby loses an answer.
public final class HookServer: Service {
  public struct Limits: Sendable {
    /// Larger bodies get 413 (Ashby's payloads are a few KB).
    public var maxBody = 1 << 20
    /// A body that takes longer to arrive gets 408: a slow client holds one connection, briefly.
    public var bodyDeadline: Duration = .seconds(10)
    /// Idle connections are closed after this.
    public var idleTimeout: Int64 = 30
    /// Deliveries waiting or running past this get 503 with `Retry-After`.
    public var queueCapacity = 1000
    /// What `Retry-After` says on a 503.
    public var retryAfterSeconds = 30
    /// Bytes of large bodies (over 64 KB) read at once, and of small ones: past them, 503.
    public var largeBodyBytes = 32 << 20
    public var smallBodyBytes = 16 << 20
    /// Connections open at once; more wait to be accepted (the kernel's backlog).
    public var maxConnections = 512
    public init() {}
  }

  /// A hook and its secret, resolved when the daemon (re)loads.
  struct Armed: Sendable {
    var hook: Hook
    var secret: String?
  }

  private let armed: Mutex<[String: Armed]>
  let history: StateStore
  let intake: DeliveryIntake
  let limits: Limits
  let bodies: BodyBudget
  let owner: String
  let onAccepted: @Sendable () -> Void
  /// Why the daemon cannot take deliveries now (its workers stopped), or nil: for `/readyz`.
  let notReady: @Sendable () -> String?
  /// The metrics in Prometheus' text format, for `/metrics`; nil: not served.
  let metrics: (@Sendable () -> [UInt8])?
  let log: @Sendable (String) -> Void
  let host: String
  let requestedPort: Int
  private let boundPort = Atomic<Int>(0)
  /// The bound port, once; finished without one when the server cannot listen.
  private let started = AsyncStream<Int>.makeStream()

  /// - Parameter onAccepted: a delivery was stored (wake the dispatcher).
  public init(
    hooks: [Hook], history: StateStore, owner: String, host: String = "127.0.0.1", port: Int = 0,
    limits: Limits = Limits(),
    environment: [String: String] = ProcessSecrets.environment,
    onAccepted: @escaping @Sendable () -> Void, notReady: @escaping @Sendable () -> String? = { nil },
    metrics: (@Sendable () -> [UInt8])? = nil, log: @escaping @Sendable (String) -> Void
  ) throws(SecretError) {
    self.notReady = notReady
    self.metrics = metrics
    self.armed = Mutex(try Self.arm(hooks, environment: environment))
    self.host = host
    self.requestedPort = port
    self.history = history
    self.intake = DeliveryIntake(history: history, capacity: limits.queueCapacity)
    self.limits = limits
    self.bodies = BodyBudget(large: limits.largeBodyBytes, small: limits.smallBodyBytes)
    self.owner = owner
    self.onAccepted = onAccepted
    self.log = log
  }

  static func arm(_ hooks: [Hook], environment: [String: String]) throws(SecretError) -> [String: Armed] {
    var armed: [String: Armed] = [:]
    for hook in hooks { armed[hook.name] = Armed(hook: hook, secret: try hook.resolveSecret(environment: environment)) }
    return armed
  }

  /// New hooks (SIGHUP); the old ones stay if a secret cannot be read.
  public func reload(_ hooks: [Hook], environment: [String: String] = ProcessSecrets.environment)
    throws(SecretError)
  {
    let new = try Self.arm(hooks, environment: environment)
    armed.withLock { $0 = new }
    recordLoaded()
  }

  /// Notes in the state which names this daemon serves now (`wasLoadedRecently`).
  private func recordLoaded() {
    let names = armed.withLock { Array($0.keys) }
    do {
      try history.recordLoadedHooks(names, at: Date())
    } catch {
      log("hooks: cannot record the loaded hooks' names: \(error)")
    }
  }

  /// The port listened on (once `listening` has returned it).
  public var port: Int { boundPort.load(ordering: .relaxed) }

  /// The service: listens until the group shuts down gracefully, then
  /// answers what is under way and returns.
  public func run() async throws {
    recordLoaded()
    defer { started.continuation.finish() }  // a server that cannot bind ends here, and so does `listening`
    try await application().run()
  }

  /// The listener as a Hummingbird application: its routes, limits and
  /// channel handlers (the tests drive it in-process with HummingbirdTesting).
  func application() -> some ApplicationProtocol {
    let router = Router()
    router.post("hooks/:name") { request, context in
      let started = ContinuousClock.now
      let (response, outcome) = try await self.deliver(request, context)
      // Only names the file has label a series: a made-up name adds none.
      let name = context.parameters.get("name") ?? ""
      let hook = self.armed.withLock { $0[name] != nil } ? name : "unknown"
      DaemonMetrics.delivery(
        hook, outcome: outcome ?? "refused_\(response.status.code)",
        seconds: (ContinuousClock.now - started) / .seconds(1))
      return response
    }
    // Every other method: 405, which Ashby does not retry (it only POSTs).
    for method in [HTTPRequest.Method.get, .head, .put, .delete, .patch, .options] {
      router.on("hooks/:name", method: method) { _, _ in
        var response = Self.answer(.methodNotAllowed, "deliveries are POSTed")
        response.headers[.allow] = "POST"
        return response
      }
    }
    // Liveness: the process answers. Touches nothing else.
    router.get("healthz") { _, _ in Self.answer(.ok, "ok") }
    // Readiness: the state answers and the workers run; 503 otherwise.
    router.get("readyz") { _, _ in self.readiness() }
    if let metrics { router.get("metrics") { _, _ in self.metricsAnswer(metrics) } }
    var logger = Logger(label: "ashby-lua.hooks")
    logger.logLevel = .critical
    let headLimit = TimeAmount.nanoseconds(Int64(limits.bodyDeadline / .nanoseconds(1)))  // at most 10 min (--hook-body-timeout)
    let app = Application(
      router: router,
      server: .http1(
        configuration: .init(
          additionalChannelHandlers: [RequestHeadDeadline(limit: headLimit), ExpectContinue()],
          idleTimeout: .seconds(limits.idleTimeout))),
      configuration: .init(
        address: .hostname(host, port: requestedPort), serverName: "ashby-lua",
        availableConnectionsDelegate: MaximumAvailableConnections(limits.maxConnections, logger: logger)),
      onServerRunning: { channel in
        let port = channel.localAddress?.port ?? 0
        self.boundPort.store(port, ordering: .relaxed)
        self.started.continuation.yield(port)
        self.started.continuation.finish()
      },
      logger: logger)
    return app
  }

  /// The port listened on, once the server accepts connections; nil when it
  /// ended without listening (the service's error says why). Call once.
  public func listening() async -> Int? {
    var iterator = started.stream.makeAsyncIterator()
    guard let port = await iterator.next(), port > 0 else { return nil }
    return port
  }

  /// `/metrics`: the text exposition format, the queue's depth read now.
  func metricsAnswer(_ render: @Sendable () -> [UInt8]) -> Response {
    if let waiting = try? history.pendingDeliveries().count { DaemonMetrics.queueDepth(waiting) }
    return Response(
      status: .ok, headers: [.contentType: MetricsServer.contentType], body: .init(byteBuffer: ByteBuffer(bytes: render())))
  }

  /// `/readyz`: 200 with the queue's length, or 503 saying why not.
  func readiness() -> Response {
    if let why = notReady() { return Self.answer(.serviceUnavailable, why) }
    do {
      let waiting = try history.pendingDeliveries().count
      return Self.answer(.ok, "ready", extra: ["queued": "\(waiting)"])
    } catch {
      return Self.answer(.serviceUnavailable, "the state cannot be reached: \(error)")
    }
  }

  /// A delivery for a hook this daemon does not serve now. A name some daemon
  /// loaded within a day is missing for a moment (a reload, a rename under
  /// way): 503, which Ashby retries, and the delivery comes again. Only a name
  /// never loaded lately is a 404, which Ashby does not retry.
  func absent(_ name: String) -> Response {
    let recent: Bool
    do {
      recent = try history.wasLoadedRecently(name, now: Date())
    } catch {
      recent = true  // cannot tell: the answer Ashby retries
    }
    guard recent else { return Self.answer(.notFound, "no hook named \"\(name)\"") }
    log("\(name): a delivery for a hook not in the file just now (answered 503; Ashby delivers again)")
    var response = Self.answer(.serviceUnavailable, "the hook \"\(name)\" is not loaded just now; deliver again later")
    response.headers[.retryAfter] = "\(limits.retryAfterSeconds)"
    return response
  }

  // MARK: One delivery

  /// One delivery's answer, and how it went for the metrics (nil: refused, by its status).
  func deliver(_ request: Request, _ context: some RequestContext) async throws -> (Response, String?) {
    let name = context.parameters.get("name") ?? ""
    guard let armed = armed.withLock({ $0[name] }) else { return (absent(name), nil) }
    // The body's bytes are reserved before it is read: what it says it is, or the cap.
    let declared = request.headers[.contentLength].flatMap { Int($0) }
    if let declared, declared > limits.maxBody { return (Self.answer(.contentTooLarge, "the body is over \(limits.maxBody) bytes"), nil) }
    let cost = max(1, declared ?? limits.maxBody)
    guard bodies.reserve(cost) else {
      log("\(name): too many bodies being read at once; answered 503, Ashby will deliver again")
      var response = Self.answer(.serviceUnavailable, "too many deliveries arriving at once; deliver again later")
      response.headers[.retryAfter] = "\(limits.retryAfterSeconds)"
      // The body is not read: the connection closes, so its bytes stop coming and take no memory.
      response.headers[.connection] = "close"
      return (response, nil)
    }
    defer { bodies.release(cost) }
    let body: ByteBuffer
    switch await readBody(request) {
    case .success(let b): body = b
    case .failure(let status, let why): return (Self.answer(status, why), nil)
    }
    let bytes = Data(buffer: body)
    if let secret = armed.secret {
      let signature = Self.signatureFields.lazy.compactMap { request.headers[$0] }.first
      guard WebhookSignature.verify(signature, body: bytes, secret: secret) else {
        log("\(name): refused a delivery: \(signature == nil ? "no" : "a wrong") \(WebhookSignature.header) header (401)")
        return (Self.answer(.unauthorized, signature == nil ? "the delivery is not signed" : "the signature does not match"), nil)
      }
    }
    let event: WebhookDelivery
    do {
      event = try WebhookDelivery(hook: name, body: bytes, receivedAt: Date())
    } catch {
      log("\(name): refused a delivery: \(error) (400)")
      return (Self.answer(.badRequest, error.description), nil)
    }
    do {
      if event.action == WebhookDelivery.ping || !armed.hook.wants(event.action) {
        let why = event.action == WebhookDelivery.ping ? "ping" : "ignored: \(event.action) is not in this hook's events"
        try history.remember(event)
        record(event, status: .skipped, why: why)
        return (Self.answer(.ok, event.action == WebhookDelivery.ping ? "pong" : "ignored"), "ignored")
      }
      switch try await intake.accept(event) {
      case .accepted(let id):
        onAccepted()
        return (Self.answer(.ok, "accepted", extra: ["delivery": "\(id)"]), "accepted")
      case .duplicate(let id):
        record(event, status: .skipped, why: "duplicate: delivery #\(id) had this webhookActionId")
        return (Self.answer(.ok, "duplicate", extra: ["delivery": "\(id)"]), "duplicate")
      case .full:
        log("\(name): queue full (\(limits.queueCapacity) deliveries waiting); answered 503, Ashby will deliver again")
        var response = Self.answer(.serviceUnavailable, "the queue is full; deliver again later")
        response.headers[.retryAfter] = "\(limits.retryAfterSeconds)"
        return (response, nil)
      }
    } catch {
      // Ashby retries a 503 later; the delivery is not lost, only not yet taken.
      log("\(name): cannot store a delivery: \(error) (503)")
      var response = Self.answer(.serviceUnavailable, "cannot store the delivery now; deliver again later")
      response.headers[.retryAfter] = "\(limits.retryAfterSeconds)"
      return (response, nil)
    }
  }

  /// `Ashby-Signature`, then the spelling one catalog uses.
  static let signatureFields = [WebhookSignature.header, WebhookSignature.alternateHeader].compactMap {
    HTTPField.Name($0)
  }

  enum BodyRead {
    case success(ByteBuffer)
    case failure(HTTPResponse.Status, String)
  }

  /// The whole body, under the cap and the deadline.
  func readBody(_ request: Request) async -> BodyRead {
    let max = limits.maxBody
    let deadline = limits.bodyDeadline
    return await withTaskGroup(of: BodyRead?.self) { group in
      group.addTask {
        do {
          return .success(try await request.body.collect(upTo: max))
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
          return .failure(.contentTooLarge, "the body is over \(max) bytes")
        } catch {
          return .failure(.badRequest, "the body could not be read")
        }
      }
      group.addTask {
        try? await Task.sleep(for: deadline)
        return Task.isCancelled ? nil : .failure(.requestTimeout, "the body did not arrive in time")
      }
      var result: BodyRead = .failure(.requestTimeout, "the body did not arrive in time")
      for await answer in group {
        if let answer {
          result = answer
          break
        }
      }
      group.cancelAll()
      return result
    }
  }

  /// A delivery that runs nothing still gets its history row.
  func record(_ event: WebhookDelivery, status: RunStatus, why: String) {
    var row = RunRecord(
      job: event.hook, trigger: .webhook, scheduledFor: nil, startedAt: event.receivedAt, endedAt: event.receivedAt,
      status: status, attempts: 0, writes: 0, error: why, owner: owner)
    row.event = event.summary
    do {
      let saved = try history.insert(row)
      log("\(event.hook)#\(saved.id ?? 0): \(why) (\(event.summary))")
    } catch {
      log("\(event.hook): cannot write the history: \(error)")
    }
  }

  static func answer(_ status: HTTPResponse.Status, _ message: String, extra: [String: String] = [:]) -> Response {
    var fields = extra.mapValues(JSONValue.string)
    fields["status"] = .string(message)
    return Response(
      status: status, headers: [.contentType: "application/json"],
      body: .init(byteBuffer: ByteBuffer(bytes: JSONValue.object(fields).encodedBytes())))
  }
}
