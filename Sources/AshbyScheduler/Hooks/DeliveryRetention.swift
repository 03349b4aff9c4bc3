import AshbyState
import Foundation
import ServiceLifecycle

/// Forgets, now and then, the deliveries whose ids need not be kept any
/// more: a delivery's body goes when its run ends (`finishDelivery`); its id
/// stays for `retention` (longer than Ashby's retries, so a redelivery is
/// still known as one), then goes too. The state does not grow without bound.
/// A service of the daemon's group; pruning goes in small batches, so the
/// intake never waits long behind it.
public struct DeliveryRetention: Service {
  let history: StateStore
  let retention: TimeInterval
  let every: Duration
  let log: @Sendable (String) -> Void

  public init(
    history: StateStore, retention: TimeInterval, every: Duration = .seconds(3600),
    log: @escaping @Sendable (String) -> Void
  ) {
    self.history = history
    self.retention = retention
    self.every = every
    self.log = log
  }

  public func run() async throws {
    try? await cancelWhenGracefulShutdown {
      while !Task.isCancelled {
        self.pruneOnce()
        try await Task.sleep(for: self.every)
      }
    }
  }

  /// One pass: the ids past the retention go. A failure waits for the next pass.
  func pruneOnce() {
    do {
      let removed = try history.pruneDeliveries(before: Date().addingTimeInterval(-retention))
      if removed > 0 {
        try history.reclaimSpace()
        log("hooks: forgot \(removed) deliver\(removed == 1 ? "y" : "ies") older than the retention")
      }
    } catch {
      log("hooks: cannot prune old deliveries: \(error)")
    }
  }
}
