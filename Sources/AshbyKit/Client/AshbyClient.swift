import AshbyCatalog
import AshbyJSON
import Foundation
import Logging
import Synchronization

/// The Ashby client: one per process, shared by every script and call.
///
/// It owns pacing (a shared request budget), retries (reads on 429/5xx/network
/// errors with backoff and full jitter; writes only when the request surely
/// never left), and turns every failure into an `AshbyError`.
public final class AshbyClient: Sendable {
  public let configuration: AshbyConfiguration
  let transport: AshbyTransport
  let budget: RateBudget
  let logger: Logger
  let resolver: Resolver
  let dryRun = DryRunRecorder()
  private let counter = Atomic<Int>(0)
  private let writes = Atomic<Int>(0)
  /// Writes this run has begun, against `maxWrites`.
  let writesClaimed = Atomic<Int>(0)
  private let warned = Mutex<Set<String>>([])
  private let served = Mutex<(version: String?, status: String?)>((nil, nil))
  /// Requests by class and status, and the pacer's waits: what a scheduled run reports to the daemon's metrics.
  public let tally = RequestTally()

  public init(configuration: AshbyConfiguration, logger: Logger = Logger(label: "ashby-lua.ashby")) {
    self.configuration = configuration
    let tally = self.tally
    self.transport = AshbyTransport(configuration: configuration)
    let window = configuration.rateWindow == .seconds(60) ? "minute" : "\(configuration.rateWindow)"
    self.budget = RateBudget(limit: configuration.requestsPerMinute, window: configuration.rateWindow) { event in
      switch event {
      case .waited(let waited, let limit):
        tally.pacerWaited()
        let ms = Int(waited / .milliseconds(1))  // a wait this process lived through: far inside Int
        logger.debug(
          "pacing: waited \(ms) ms for the rate budget (\(limit) requests per \(window))", metadata: ["pacing_ms": "\(ms)"])
      case .learned(let allowance, let pause):
        logger.debug(
          "pacing: Ashby answered 429 (Retry-After \(pause.seconds) s): pacing to \(allowance.limit) requests per \(allowance.window.seconds) s, what it accepted in its last window")
      case .partnerPause(let pause):
        logger.debug(
          "pacing: Ashby throttled the integration partner's combined traffic (X-RateLimit-Scope: integration-partner): every request waits \(pause.seconds) s; this key's budget is unchanged")
      }
    }
    self.logger = logger
    self.resolver = Resolver()
  }

  /// Forgets the name → id lists it keeps (stages, sources, reasons) and what 429s taught its pacing:
  /// `ashby-lua test` gives each test a new world.
  public func forgetLearned() async {
    await resolver.forget()
    budget.forgetLearned()
  }

  public func shutdown() async {
    await configuration.journal?.settle()
    await transport.shutdown()
  }

  /// HTTP requests sent so far (retries count), for statistics.
  public var requestsSent: Int { counter.load(ordering: .relaxed) }

  /// Requests held back by the rate budget right now (the progress line says so).
  public var requestsWaitingForBudget: Int { budget.waiting }

  /// The request budget in force now: the configured one, or less after the server asked for less.
  public var currentRateLimit: Int { budget.currentLimit }

  /// What a 429 taught the pacer the server allows (requests per its window), while it paces to it.
  public var learnedServerAllowance: (limit: Int, window: Duration)? {
    budget.serverAllowance.map { ($0.limit, $0.window) }
  }

  /// Writes Ashby answered with success (the scheduler's history reports them).
  public var writesMade: Int { writes.load(ordering: .relaxed) }

  /// Calls any endpoint and returns its `results`.
  public func call(_ endpoint: String, _ params: JSONValue = .object([:])) async throws(AshbyError) -> JSONValue {
    try await send(endpoint, params).results
  }

  /// Calls any endpoint and returns its `results` as the JSON text Ashby sent,
  /// for callers that decode it themselves (the Lua bridge builds tables from it).
  public func callRaw(_ endpoint: String, _ params: JSONValue = .object([:])) async throws(AshbyError) -> RawJSON {
    try await send(endpoint, params).rawResults
  }

  /// The permission `X-On-Behalf-Of` needs, as Ashby's admin names it.
  public static let actingPermission = "Allow acting on behalf of a user"

  /// The API version Ashby last said it served, and its status (`current`, `deprecated`).
  public var versionServed: (version: String?, status: String?) { served.withLock { $0 } }

  /// Keeps what Ashby said of the version; says once per run when it is not current.
  private func noteVersion(served version: String?, status: String?) {
    guard version != nil || status != nil else { return }
    served.withLock { $0 = (version, status) }
    guard let status, status.lowercased() != "current" else { return }
    let named = version ?? configuration.apiVersion
    warnOnce(
      "api version",
      "Ashby says API version \(named) is \(status): a deprecated version stays supported for at least 3 months and available for 6; choose a newer one with --api-version or api_version in config.toml or schedules.toml (ashby.call(\"version.list\") lists them)")
  }

  /// Logs `message` as a warning the first time `key` is given, then never
  /// again in this process (a run): a hint repeated in a loop is noise.
  public func warnOnce(_ key: String, _ message: @autoclosure () -> String) {
    guard warned.withLock({ $0.insert(key).inserted }) else { return }
    logger.warning("\(message())")
  }

  /// Calls an endpoint and returns the whole envelope (for paging).
  /// - Parameter onBehalfOf: for this call, instead of the configuration's (writes only).
  public func send(_ endpoint: String, _ params: JSONValue, onBehalfOf: String? = nil) async throws(AshbyError)
    -> AshbyResponse
  {
    guard configuration.apiKey != nil || transport.replaysOnly else {
      throw AshbyError(
        .auth, "no Ashby API key is set: export ASHBY_API_KEY, or run `ashby-lua auth login`", endpoint: endpoint)
    }
    guard Self.isValidEndpoint(endpoint) else {
      let shown = endpoint.count > 80 ? "\(endpoint.prefix(80))..." : endpoint
      throw AshbyError.argument(
        "endpoint",
        "\"\(shown)\" is not an endpoint name like \"candidate.info\" (category.method, at most \(Self.maxEndpointLength) characters)")
    }
    let isRead = !Catalog.isWrite(endpoint)  // reads are retried freely; writes only when surely not sent
    if configuration.dryRun && !isRead { return await planCall(endpoint, params) }
    if isRead { return try await exchange(endpoint, params, isRead: true, onBehalfOf: onBehalfOf) }
    do {
      try claimWriteSlot(endpoint)
    } catch {
      await journalRefused(endpoint, params, error)
      throw error
    }
    let entry: Int64?
    do {
      entry = try await journalBegin(endpoint, params)
    } catch {
      releaseWriteSlot()  // not sent: it does not count against the cap
      throw error
    }
    let result: Result<AshbyResponse, AshbyError>
    do {
      result = .success(try await exchange(endpoint, params, isRead: false, onBehalfOf: onBehalfOf))
    } catch {
      result = .failure(error)
    }
    await journalEnd(entry, result)
    return try result.get()
  }

  /// The request and its retries, paced.
  private func exchange(_ endpoint: String, _ params: JSONValue, isRead: Bool, onBehalfOf: String?)
    async throws(AshbyError) -> AshbyResponse
  {
    let body = params.encoded()
    let started = ContinuousClock.now
    let deadline = started.advanced(by: configuration.totalTimeout)
    let patience = started.advanced(by: configuration.rateLimitPatience)
    var attempt = 0
    var counted = 0  // attempts that count against maxAttempts (a 429 does not)
    while true {
      attempt += 1
      let outcome = await attemptOnce(
        endpoint, body: body, isRead: isRead, onBehalfOf: isRead ? nil : onBehalfOf ?? configuration.onBehalfOf)
      let elapsedMS = Int((ContinuousClock.now - started) / .milliseconds(1))
      switch outcome {
      case .success(let response):
        if !isRead { writes.add(1, ordering: .relaxed) }
        log(endpoint, status: "200", ms: elapsedMS, attempts: attempt)
        return response
      case .failure(let failure):
        let (error, retryAfter) = (failure.error, failure.retryAfter)
        log(endpoint, status: error.status.map(String.init) ?? error.kind.rawValue, ms: elapsedMS, attempts: attempt)
        let delay: Double
        if error.kind == .rateLimited {
          // Ashby refused it, so it was not applied: resend, write or read, until the
          // run's deadline (which cancels this task) or `rateLimitPatience`, after
          // `Retry-After` and some jitter. The budget paces the others to what
          // Ashby accepts (and holds everyone back on a partner-scope 429).
          delay = max(retryAfter ?? 0, 0) + Double.random(in: 0...configuration.baseBackoff.seconds)
          guard ContinuousClock.now < patience else { throw error }
        } else {
          counted += 1
          delay = backoff(attempt: counted, retryAfter: retryAfter)
          let retry =
            error.retryable && counted < configuration.maxAttempts
            && ContinuousClock.now.advanced(by: .nanoseconds(Int64(delay * 1e9))) < deadline  // delay ≤ 600 s
          guard retry else { throw error }
        }
        do {
          // ≤ max(maxBackoff, 600 s of Retry-After); after a 429, ≤ 600 s + baseBackoff
          try await Task.sleep(nanoseconds: UInt64(delay * 1e9))  // 0...600 s + baseBackoff: finite, in range
        } catch {
          throw AshbyError.cancelled(endpoint)
        }
      }
    }
  }

  /// One attempt. A failure carries the error (with `retryable` decided for
  /// this endpoint) and Ashby's `Retry-After`, if it sent one.
  private func attemptOnce(_ endpoint: String, body: Data, isRead: Bool, onBehalfOf: String?) async -> Result<
    AshbyResponse, FailedAttempt
  > {
    let cancelled = Result<AshbyResponse, FailedAttempt>.failure(FailedAttempt(.cancelled(endpoint), nil))
    let ticket: RateBudget.Ticket
    do {
      ticket = try await budget.acquire()
    } catch {
      return cancelled
    }
    if Task.isCancelled {
      budget.release(ticket, RateBudget.Answer(status: nil))  // the slot was ours; nothing was sent on it
      return cancelled
    }
    let sent = counter.wrappingAdd(1, ordering: .relaxed).newValue
    if let cap = configuration.maxRequests, sent > cap {
      budget.release(ticket, RateBudget.Answer(status: nil))  // nothing was sent on it
      var error = AshbyError(
        .limit, "this run may send at most \(cap) request\(cap == 1 ? "" : "s") to Ashby (--max-requests); this one was not sent",
        endpoint: endpoint)
      error.limit = "requests"
      return .failure(FailedAttempt(error, nil))
    }
    let raw: RawResponse
    do {
      raw = try await transport.post(endpoint: endpoint, body: body, onBehalfOf: onBehalfOf)
    } catch {
      budget.release(ticket, RateBudget.Answer(status: nil))
      if Task.isCancelled { return cancelled }
      if error.final {
        return .failure(FailedAttempt(AshbyError(error.kind, error.message, code: "not_in_cassette", endpoint: endpoint), nil))
      }
      // A write that may have reached Ashby must not be sent twice.
      if isRead || error.notSent {
        return .failure(FailedAttempt(AshbyError(error.kind, error.message, endpoint: endpoint, retryable: true), nil))
      }
      return .failure(FailedAttempt(.ambiguousWrite(error.message, endpoint: endpoint), nil))
    }
    let headers = raw.headers
    budget.release(ticket, RateBudget.Answer(status: raw.status, header: { headers.first(name: $0) }))
    noteVersion(served: headers.first(name: "Ashby-Version"), status: headers.first(name: "Ashby-Version-Status"))
    switch Envelope.parse(raw, endpoint: endpoint) {
    case .success(let response): return .success(response)
    case .failure(var error):
      if raw.status == 403, let onBehalfOf {
        if error.kind == .permission {
          // The endpoint's own permission is missing: that stays the error.
          error.message += " (X-On-Behalf-Of \"\(onBehalfOf)\" was sent too, which needs \"\(Self.actingPermission)\")"
        } else {
          // Acting for a person needs a permission of its own (and a user Ashby knows).
          error.kind = .permission
          error.permission = Self.actingPermission
          error.message =
            "Ashby refused to act on behalf of \"\(onBehalfOf)\" (X-On-Behalf-Of): the API key needs the \"\(Self.actingPermission)\" permission and the user must exist (or the key itself is wrong or deactivated)"
        }
        error.retryable = false
      }
      if !isRead && error.retryable && raw.status != 429 {
        // A 5xx or garbled answer to a write: it may have been applied.
        error = .ambiguousWrite(
          error.message, endpoint: endpoint, code: error.code, status: error.status, requestId: error.requestId)
      }
      let retryAfter = raw.headers.first(name: "Retry-After").flatMap(Self.retryAfterSeconds)
      if raw.status == 429, let scope = raw.headers.first(name: "X-RateLimit-Scope") { error.scope = scope }
      return .failure(FailedAttempt(error, retryAfter))
    }
  }

  /// `Retry-After` in seconds, when it is a plain number of seconds; clamped
  /// to 0...600 (a server's `inf` or `1e300` must not become a sleep that traps).
  static func retryAfterSeconds(_ text: String) -> Double? {
    guard let seconds = Double(text.trimmingCharacters(in: .whitespaces)), seconds.isFinite else { return nil }
    return min(max(seconds, 0), 600)
  }

  /// Full jitter: a random wait up to the exponential step; never less than `Retry-After`.
  func backoff(attempt: Int, retryAfter: Double?) -> Double {
    let step = min(configuration.maxBackoff.seconds, configuration.baseBackoff.seconds * pow(2, Double(attempt - 1)))
    let jitter = Double.random(in: 0...step)
    return max(jitter, retryAfter ?? 0)
  }

  private func log(_ endpoint: String, status: String, ms: Int, attempts: Int) {
    tally.request(write: Catalog.isWrite(endpoint), status: status)
    logger.debug(
      "\(endpoint) \(status) \(ms) ms\(attempts > 1 ? " (\(attempts - 1) retries)" : "")",
      metadata: ["endpoint": "\(endpoint)", "status": "\(status)", "ms": "\(ms)", "retries": "\(attempts - 1)"])
  }

  /// The longest endpoint name accepted (Ashby's longest is 35 characters).
  static let maxEndpointLength = 64

  /// Whether `name` is spelled like an endpoint (a plan's file is checked with it).
  public static func isEndpointName(_ name: String) -> Bool { isValidEndpoint(name) }

  /// `category.method`: a lowercase letter, then ASCII letters and digits, on each side of one dot.
  static func isValidEndpoint(_ endpoint: String) -> Bool {
    let bytes = endpoint.utf8
    guard bytes.count <= maxEndpointLength else { return false }
    let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
    func isWord(_ part: Substring.UTF8View) -> Bool {
      guard let first = part.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else { return false }
      return part.allSatisfy { c in
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c)
          || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c)
      }
    }
    return parts.count == 2 && parts.allSatisfy(isWord)
  }

}

struct FailedAttempt: Error {
  var error: AshbyError
  var retryAfter: Double?
  init(_ error: AshbyError, _ retryAfter: Double?) {
    self.error = error
    self.retryAfter = retryAfter
  }
}
