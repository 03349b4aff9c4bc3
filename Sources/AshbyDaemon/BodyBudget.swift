import Synchronization

/// The bytes of request bodies being read at once, bounded: a flood of large
/// bodies held open (400 slow 1 MB bodies once took the daemon past 500 MB)
/// cannot take the daemon's memory. Small bodies (Ashby's are a few KB) have a
/// pool of their own, so deliveries are still acknowledged during such a flood.
/// Past the budget a delivery gets 503 with `Retry-After`, which Ashby retries.
final class BodyBudget: Sendable {
  /// Bodies up to this size draw on the small pool.
  static let smallBody = 64 << 10

  private struct Pools {
    var large: Int
    var small: Int
  }
  private let free: Mutex<Pools>

  init(large: Int, small: Int) { free = Mutex(Pools(large: large, small: small)) }

  /// Takes `bytes` from the pool its size belongs to; false when that pool is spent.
  func reserve(_ bytes: Int) -> Bool {
    free.withLock { pools in
      if bytes <= Self.smallBody, pools.small >= bytes {
        pools.small -= bytes
        return true
      }
      guard bytes > Self.smallBody, pools.large >= bytes else { return false }
      pools.large -= bytes
      return true
    }
  }

  /// Gives back what `reserve(bytes)` took.
  func release(_ bytes: Int) {
    free.withLock { pools in
      if bytes <= Self.smallBody { pools.small += bytes } else { pools.large += bytes }
    }
  }
}
