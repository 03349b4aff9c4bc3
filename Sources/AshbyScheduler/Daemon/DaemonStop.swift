import Foundation
import Synchronization

/// The moment a daemon (or a `schedule trigger`) was asked to stop, and one
/// deadline for every run under way then.
///
/// The daemon's parts are services of one `ServiceGroup`, told to shut down
/// one after another (the listener first). The stop itself is one moment:
/// from it no part starts a run, and the cron jobs and the deliveries under
/// way share the same grace instead of waiting one after the other.
public final class DaemonStop: Sendable {
  /// How long runs under way get once the stop begins (`--stop-grace`).
  public let grace: TimeInterval
  private let deadline = Mutex<Date?>(nil)

  public init(grace: TimeInterval) { self.grace = grace }

  /// Begins the stop; a later call keeps the first deadline.
  /// - Returns: whether this call began it.
  @discardableResult
  public func begin(grace: TimeInterval? = nil) -> Bool {
    deadline.withLock { deadline in
      guard deadline == nil else { return false }
      deadline = Date().addingTimeInterval(grace ?? self.grace)
      return true
    }
  }

  public var isStopping: Bool { deadline.withLock { $0 != nil } }

  /// When runs still going are interrupted.
  public var runsEnd: Date { deadline.withLock { $0 } ?? Date().addingTimeInterval(grace) }

  /// Whether the grace has run out.
  var isPastGrace: Bool { deadline.withLock { $0.map { Date() >= $0 } ?? false } }

  /// Returns once `done` holds or the grace has run out. Waits in a task of
  /// its own: the caller may be cancelled already, which must not cut the grace short.
  func waitForRuns(_ done: @escaping @Sendable () async -> Bool) async {
    let end = runsEnd
    await Task {
      while Date() < end, !(await done()) { try? await Task.sleep(nanoseconds: 50_000_000) }
    }.value
  }
}
