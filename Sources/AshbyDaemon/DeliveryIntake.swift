import AshbyScheduler
import AshbyState
import AshbyWebhook
import Foundation
import Synchronization

/// Gathers the deliveries that arrive together into one transaction (group
/// commit): fifty senders at once cost one wait for the disk, not fifty in a
/// row, and no thread of Swift's cooperative pool blocks on SQLite.
final class DeliveryIntake: Sendable {
  private struct Waiting {
    var arrival: WebhookDelivery
    var continuation: CheckedContinuation<StateStore.Acceptance, any Error>
  }
  private struct State {
    var waiting: [Waiting] = []
    var writing = false
  }

  private let state = Mutex(State())
  private let history: StateStore
  private let capacity: Int
  private let queue = DispatchQueue(label: "ashby-lua.hooks.intake")

  init(history: StateStore, capacity: Int) {
    self.history = history
    self.capacity = capacity
  }

  /// Stores `arrival` with whatever else is waiting; returns once it is on disk.
  func accept(_ arrival: WebhookDelivery) async throws -> StateStore.Acceptance {
    try await withCheckedThrowingContinuation { continuation in
      let start = state.withLock { s -> Bool in
        s.waiting.append(Waiting(arrival: arrival, continuation: continuation))
        if s.writing { return false }
        s.writing = true
        return true
      }
      if start { queue.async { self.drain() } }
    }
  }

  /// Writes batches until no one is waiting.
  private func drain() {
    while true {
      let batch = state.withLock { s -> [Waiting] in
        defer { s.waiting = [] }
        if s.waiting.isEmpty { s.writing = false }
        return s.waiting
      }
      guard !batch.isEmpty else { return }
      do {
        let answers = try history.accept(batch.map(\.arrival), capacity: capacity)
        for (waiting, answer) in zip(batch, answers) { waiting.continuation.resume(returning: answer) }
      } catch {
        for waiting in batch { waiting.continuation.resume(throwing: error) }
      }
    }
  }
}
