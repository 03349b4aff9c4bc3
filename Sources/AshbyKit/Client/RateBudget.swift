import Foundation
import Synchronization

/// The request budget shared by every request of a client: no window of
/// `window` length ever holds more than `limit` requests at Ashby, and none of
/// the server's own window (once learned) more than it allows.
///
/// A sliding window keyed on *completion* times: a request occupies a slot
/// from the moment it is let through until a window after its answer came
/// back. Ashby saw it at or before that answer, so the request that reuses the
/// slot arrives at least a window after it, whatever the network and the
/// connection pool did in between. Waiters are let through in order.
///
/// How it bends (Ashby does not document its window, so none is assumed):
/// - A 429 is a congestion *event*; 429s answering requests sent before the
///   last cut are the same event (as TCP counts one loss per window), so a burst
///   of them cuts once. An event takes the server's window to be `Retry-After`
///   long (1 s to the configured window) and paces to what the server accepted
///   in the last such window, the rate it demonstrably allows (half the pace in
///   force, when it had taken less). Slots are counted on that window too, so a
///   server at its limit is left alone until its window has passed, and no
///   longer: the configured budget is not cut, so nothing waits on a minute of
///   old slots. The refused request itself waits `Retry-After` (the client's
///   retry); a refusal that is not about the rate (a random one) costs that
///   request its wait, not everyone's.
/// - Four server windows without a cut raise the learned allowance by a tenth;
///   once it reaches the configured limit it is dropped.
/// - `X-RateLimit-Scope: integration-partner` (a partner's combined traffic)
///   pauses every request for `Retry-After` and learns nothing about this key.
/// - `X-RateLimit-Limit` below the limit lowers it to that; `X-RateLimit-Remaining: 0`
///   pauses until `X-RateLimit-Reset`.
final class RateBudget: Sendable {
  /// What the server said about the request that held a slot.
  struct Answer: Sendable {
    var status: Int?
    var header: @Sendable (String) -> String? = { _ in nil }
  }

  /// A slot, as `acquire` hands it out: when its request was let through.
  struct Ticket: Sendable {
    var sent: ContinuousClock.Instant
    /// Requests in the server's learned window (or the last second) when this one went.
    var load: Int
  }

  /// What the server is known to allow beyond the configured budget.
  struct ServerAllowance: Equatable, Sendable {
    var limit: Int
    var window: Duration
  }

  /// A change worth telling `--verbose` about.
  enum Event: Sendable {
    case waited(Duration, limit: Int)
    case learned(ServerAllowance, pause: Duration)
    case partnerPause(Duration)
  }

  private struct State {
    var completed: [ContinuousClock.Instant] = []  // ascending; within the configured window
    var first = 0  // index of the oldest live entry in `completed`
    var accepted: [(at: ContinuousClock.Instant, load: Int)] = []  // answers other than 429, ascending; same span
    var inFlight = 0
    var limit: Int
    var server: ServerAllowance?
    var lastCut: ContinuousClock.Instant?
    var pausedUntil: ContinuousClock.Instant?
    var lastChange: ContinuousClock.Instant
    var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    var nextID: UInt64 = 0
    var timer: ContinuousClock.Instant?

    var live: Int { completed.count - first }

    mutating func prune(_ now: ContinuousClock.Instant, window: Duration) {
      while first < completed.count && completed[first] + window <= now { first += 1 }
      if first > 1024 && first * 2 > completed.count {
        completed.removeFirst(first)
        first = 0
      }
      let stale = accepted.prefix { $0.at + window <= now }.count
      if stale > 1024 || (stale > 0 && stale * 2 > accepted.count) { accepted.removeFirst(stale) }
    }

    /// The index in `completed` of the first completion within `span` of `now`.
    func firstWithin(_ span: Duration, of now: ContinuousClock.Instant) -> Int {
      var (low, high) = (first, completed.count)
      while low < high {
        let mid = (low + high) / 2
        if completed[mid] + span <= now { low = mid + 1 } else { high = mid }
      }
      return low
    }

    /// Answers other than 429 within `span` of `now`, and the highest load one was sent at.
    func acceptedWithin(_ span: Duration, of now: ContinuousClock.Instant) -> (count: Int, highestLoad: Int) {
      var (count, highest) = (0, 0)
      for answer in accepted.reversed() {
        guard answer.at + span > now else { break }
        count += 1
        highest = max(highest, answer.load)
      }
      return (count, highest)
    }
  }

  let configuredLimit: Int
  let window: Duration
  private let state: Mutex<State>
  private let onEvent: @Sendable (Event) -> Void

  /// - Parameters:
  ///   - onEvent: told of each wait of 100 ms or more, of each allowance learned
  ///     and of each partner pause, for `--verbose`.
  init(limit: Int, window: Duration = .seconds(60), onEvent: @escaping @Sendable (Event) -> Void = { _ in }) {
    configuredLimit = max(1, limit)
    self.window = max(window, .milliseconds(1))
    self.onEvent = onEvent
    state = Mutex(State(limit: max(1, limit), lastChange: .now))
  }

  /// Forgets what the server taught (its allowance, a pause) and the window's history, keeping
  /// requests in flight: `ashby-lua test` gives each test a fresh fake, which has taught nothing.
  func forgetLearned() {
    state.withLock { s in
      s.server = nil
      s.pausedUntil = nil
      s.lastCut = nil
      s.limit = configuredLimit
      s.first = 0
      s.completed.removeAll()
      s.accepted.removeAll()
    }
  }

  /// Requests waiting for a slot.
  var waiting: Int { state.withLock { $0.waiters.count } }

  /// The limit in force now, per configured window (below the configured one
  /// while the server allows less).
  var currentLimit: Int { state.withLock { Self.effectiveLimit($0, window: window) } }

  /// What the server is known to allow, if it said less than the budget.
  var serverAllowance: ServerAllowance? { state.withLock { $0.server } }

  private static func effectiveLimit(_ s: State, window: Duration) -> Int {
    guard let server = s.server else { return s.limit }
    let scaled = Double(server.limit) * (window / server.window)
    return max(1, min(s.limit, Int(scaled.rounded(.down))))
  }

  /// Waits for a slot. Every successful `acquire` must be followed by one `release`.
  func acquire() async throws -> Ticket {
    let started = ContinuousClock.now
    let id = state.withLock { s -> UInt64 in
      s.nextID += 1
      return s.nextID
    }
    try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
        let now = ContinuousClock.now
        let go = state.withLock { s -> Bool in
          if Task.isCancelled { return false }
          s.prune(now, window: window)
          if s.waiters.isEmpty && Self.canGo(s, now) {
            s.inFlight += 1
            return true
          }
          s.waiters.append((id, c))
          return false
        }
        if go {
          c.resume()
        } else if Task.isCancelled {
          c.resume(throwing: CancellationError())
        } else {
          pump()
        }
      }
    } onCancel: {
      let waiter = state.withLock { s -> CheckedContinuation<Void, any Error>? in
        guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
        return s.waiters.remove(at: i).continuation
      }
      waiter?.resume(throwing: CancellationError())
    }
    let now = ContinuousClock.now
    if now - started >= .milliseconds(100) { onEvent(.waited(now - started, limit: currentLimit)) }
    let load = state.withLock { s in s.inFlight + s.completed.count - s.firstWithin(s.server?.window ?? .seconds(1), of: now) }
    return Ticket(sent: now, load: load)
  }

  /// Gives the slot back with what the server answered (nil status: no answer).
  func release(_ ticket: Ticket, _ answer: Answer) {
    let event = state.withLock { s -> Event? in
      let now = ContinuousClock.now  // read under the lock: completions stay in order
      s.inFlight -= 1
      s.completed.append(now)
      if answer.status != nil && answer.status != 429 { s.accepted.append((now, ticket.load)) }
      return adapt(&s, ticket, answer, now)
    }
    if let event { onEvent(event) }
    pump()
  }

  private func adapt(_ s: inout State, _ ticket: Ticket, _ answer: Answer, _ now: ContinuousClock.Instant) -> Event? {
    if let text = answer.header("X-RateLimit-Limit"), let serverLimit = Int(text), serverLimit > 0,
      serverLimit < s.limit
    {
      s.limit = serverLimit
      s.lastChange = now
    }
    if answer.status == 429 {
      let seconds = answer.header("Retry-After").flatMap(AshbyClient.retryAfterSeconds) ?? 1  // 0...600
      let pause = Duration.milliseconds(Int64(seconds * 1000))  // retryAfterSeconds: 0...600, finite
      if answer.header("X-RateLimit-Scope")?.lowercased() == "integration-partner" {
        // The partner's combined traffic, not this key's: wait, learn nothing.
        s.pausedUntil = max(s.pausedUntil ?? now, now + pause)
        return .partnerPause(pause)
      }
      // A request sent before the last cut was answered for the same event. One
      // refused at a load the server accepted another at, within the window,
      // was not refused for our rate (a limit refuses past a count, not below
      // it): it waits its Retry-After, and nothing is cut.
      if let cut = s.lastCut, ticket.sent <= cut { return nil }
      let learnedWindow = min(max(pause, .seconds(1)), window)
      let (accepted, highestLoad) = s.acceptedWithin(learnedWindow, of: now)
      if accepted > 0 && highestLoad > ticket.load { return nil }
      // What the server took in its window is what it allows. Having seen little
      // of a window (a 429 at the first requests), or at a known allowance, cut
      // at most a quarter of the pace in force; never below a quarter of the budget.
      let budget = Double(Self.effectiveLimit(s, window: window)) * (learnedWindow / window)
      let known = s.server.flatMap { $0.window == learnedWindow ? $0.limit : nil }
      let pace = Double(known ?? Int(budget))
      let floor = Int(Double(s.limit) * (learnedWindow / window) / 4)
      let allowance = ServerAllowance(limit: max(1, floor, accepted, Int(pace * 0.75)), window: learnedWindow)
      s.server = allowance
      s.lastCut = now
      s.lastChange = now
      return .learned(allowance, pause: pause)
    }
    if answer.header("X-RateLimit-Remaining").flatMap(Int.init) == 0,
      let reset = answer.header("X-RateLimit-Reset").flatMap(Self.resetSeconds)
    {
      s.pausedUntil = max(s.pausedUntil ?? now, now + .milliseconds(Int64(reset * 1000)))  // 0...600 s
      return nil
    }
    if answer.status.map({ (200..<300).contains($0) }) == true, let server = s.server,
      now - s.lastChange >= server.window * 4
    {
      // Four of the server's windows without a cut: probe a tenth higher, up to the budget.
      let raised = ServerAllowance(limit: server.limit + max(1, server.limit / 10), window: server.window)
      // At the budget's own rate it can no longer bind.
      s.server = Double(raised.limit) * (window / raised.window) >= Double(s.limit) ? nil : raised
      s.lastChange = now
    }
    return nil
  }

  /// `X-RateLimit-Reset` as seconds from now: a delta, or a Unix time; at most 600 s.
  static func resetSeconds(_ text: String) -> Double? {
    guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite, value >= 0 else {
      return nil
    }
    let delta = value > 1e9 ? value - Date().timeIntervalSince1970 : value
    return min(max(delta, 0), 600)
  }

  private static func canGo(_ s: State, _ now: ContinuousClock.Instant) -> Bool {
    if let paused = s.pausedUntil, paused > now { return false }
    guard s.inFlight + s.live < s.limit else { return false }
    guard let server = s.server else { return true }
    return s.inFlight + (s.completed.count - s.firstWithin(server.window, of: now)) < server.limit
  }

  /// Lets waiters through while there is room; otherwise arms one timer for the
  /// next moment room can appear (a slot expiring, a pause ending). A release
  /// calls this too, for the room an answer may not make (it only starts a slot's expiry).
  private func pump() {
    let now = ContinuousClock.now
    var ready: [CheckedContinuation<Void, any Error>] = []
    let wake = state.withLock { s -> ContinuousClock.Instant? in
      s.prune(now, window: window)
      while !s.waiters.isEmpty && Self.canGo(s, now) {
        s.inFlight += 1
        ready.append(s.waiters.removeFirst().continuation)
      }
      guard !s.waiters.isEmpty else { return nil }
      var next: ContinuousClock.Instant?
      if let paused = s.pausedUntil, paused > now { next = paused }
      if s.inFlight + s.live >= s.limit, s.first < s.completed.count {
        let expiry = s.completed[s.first] + window
        next = max(next ?? expiry, expiry)
      }
      if let server = s.server, case let oldest = s.firstWithin(server.window, of: now),
        s.inFlight + (s.completed.count - oldest) >= server.limit, oldest < s.completed.count
      {
        let expiry = s.completed[oldest] + server.window
        next = max(next ?? expiry, expiry)
      }
      guard let next, s.timer.map({ $0 > next }) ?? true else { return nil }
      s.timer = next
      return next
    }
    for c in ready { c.resume() }
    guard let wake else { return }
    Task { [weak self] in
      try? await Task.sleep(until: wake, clock: .continuous)
      self?.state.withLock { s in if s.timer == wake { s.timer = nil } }
      self?.pump()
    }
  }
}
