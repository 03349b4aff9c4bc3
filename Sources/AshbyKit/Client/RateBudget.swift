import Foundation
import Synchronization

/// A token bucket shared by every request of a client: requests past the
/// budget wait their turn instead of provoking 429s.
final class RateBudget: Sendable {
  private struct State {
    var tokens: Double
    var updated: ContinuousClock.Instant
  }

  private let perSecond: Double
  private let capacity: Double
  private let state: Mutex<State>

  /// - Parameter burst: requests that may go at once after a quiet spell. The
  ///   default, a tenth of the minute's budget, lets a script's short bursts
  ///   through while keeping any minute within about 110% of the budget (the
  ///   client still honours 429 and Retry-After beyond that).
  init(requestsPerMinute: Double, burst: Double? = nil) {
    perSecond = max(requestsPerMinute, 1) / 60
    capacity = burst ?? max(1, requestsPerMinute / 10)
    state = Mutex(State(tokens: capacity, updated: .now))
  }

  /// Takes one token, sleeping until it is ours. Reservations keep the order fair.
  func acquire() async throws {
    let wait = state.withLock { s -> Double in
      let now = ContinuousClock.now
      let elapsed = now - s.updated
      let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
      s.tokens = min(capacity, s.tokens + seconds * perSecond)
      s.updated = now
      s.tokens -= 1
      return s.tokens >= 0 ? 0 : -s.tokens / perSecond
    }
    // A minute per waiting request at most (perSecond ≥ 1/60): far inside UInt64's nanoseconds.
    if wait > 0 { try await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
  }
}
