import Foundation
import Synchronization

/// The request budget shared by every request of a client: no window of
/// `window` length ever holds more than `limit` requests at Ashby.
///
/// A sliding window keyed on *completion* times: a request occupies a slot
/// from the moment it is let through until `window` after its answer came
/// back. Ashby saw it at or before that answer, so the request that reuses the
/// slot arrives at least `window` after it, whatever the network and the
/// connection pool did in between. Waiters are let through in order.
///
/// It adapts to the server: a 429 pauses every request for `Retry-After` and
/// lowers the limit by a quarter; `X-RateLimit-Limit` below the limit lowers it
/// to that; `X-RateLimit-Remaining: 0` pauses until `X-RateLimit-Reset`. The
/// limit grows back by a tenth per quarter window without a 429.
final class RateBudget: Sendable {
  /// What the server said about the request that held a slot.
  struct Answer: Sendable {
    var status: Int?
    var header: @Sendable (String) -> String? = { _ in nil }
  }

  private struct State {
    var completed: [ContinuousClock.Instant] = []  // ascending; within the window
    var first = 0  // index of the oldest live entry in `completed`
    var inFlight = 0
    var limit: Int
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
    }
  }

  let configuredLimit: Int
  let window: Duration
  private let state: Mutex<State>
  private let onWait: @Sendable (Duration, Int) -> Void

  /// - Parameters:
  ///   - onWait: told of each wait of 100 ms or more (how long, the limit then), for `--verbose`.
  init(limit: Int, window: Duration = .seconds(60), onWait: @escaping @Sendable (Duration, Int) -> Void = { _, _ in })
  {
    configuredLimit = max(1, limit)
    self.window = window
    self.onWait = onWait
    state = Mutex(State(limit: max(1, limit), lastChange: .now))
  }

  /// Requests waiting for a slot.
  var waiting: Int { state.withLock { $0.waiters.count } }

  /// The limit in force now (below the configured one after a 429, for a while).
  var currentLimit: Int { state.withLock { $0.limit } }

  /// Waits for a slot. Every successful `acquire` must be followed by one `release`.
  func acquire() async throws {
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
    let waited = ContinuousClock.now - started
    if waited >= .milliseconds(100) { onWait(waited, currentLimit) }
  }

  /// Gives the slot back with what the server answered (nil status: no answer).
  func release(_ answer: Answer) {
    let now = ContinuousClock.now
    state.withLock { s in
      s.inFlight -= 1
      s.completed.append(now)
      adapt(&s, answer, now)
    }
    pump()
  }

  private func adapt(_ s: inout State, _ answer: Answer, _ now: ContinuousClock.Instant) {
    if let text = answer.header("X-RateLimit-Limit"), let serverLimit = Int(text), serverLimit > 0,
      serverLimit < s.limit
    {
      s.limit = serverLimit
      s.lastChange = now
    }
    if answer.status == 429 {
      s.limit = max(1, s.limit - max(1, s.limit / 4))
      s.lastChange = now
      let seconds = answer.header("Retry-After").flatMap(AshbyClient.retryAfterSeconds) ?? 1
      s.pausedUntil = max(s.pausedUntil ?? now, now + .milliseconds(Int64(seconds * 1000)))  // 0...600 s
    } else if answer.header("X-RateLimit-Remaining").flatMap(Int.init) == 0,
      let reset = answer.header("X-RateLimit-Reset").flatMap(Self.resetSeconds)
    {
      s.pausedUntil = max(s.pausedUntil ?? now, now + .milliseconds(Int64(reset * 1000)))  // 0...600 s
    } else if answer.status.map({ (200..<300).contains($0) }) == true, s.limit < configuredLimit,
      now - s.lastChange >= window / 4
    {
      s.limit = min(configuredLimit, s.limit + max(1, configuredLimit / 10))
      s.lastChange = now
    }
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
    return s.inFlight + s.live < s.limit
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
