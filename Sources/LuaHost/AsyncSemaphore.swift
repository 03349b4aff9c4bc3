import Synchronization

/// Caps how many async host calls run at once; waiters queue in order.
final class AsyncSemaphore: Sendable {
  private struct State {
    var available: Int
    var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    var nextID: UInt64 = 0
  }
  private let state: Mutex<State>

  init(_ count: Int) { state = Mutex(State(available: max(1, count))) }

  func acquire() async throws {
    let id = state.withLock { s -> UInt64 in
      s.nextID += 1
      return s.nextID
    }
    try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
        let resumeNow = state.withLock { s -> Bool in
          if Task.isCancelled { return false }
          if s.available > 0 {
            s.available -= 1
            return true
          }
          s.waiters.append((id, c))
          return false
        }
        if resumeNow { c.resume() } else if Task.isCancelled { c.resume(throwing: CancellationError()) }
      }
    } onCancel: {
      let waiter = state.withLock { s -> CheckedContinuation<Void, any Error>? in
        guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
        return s.waiters.remove(at: i).continuation
      }
      waiter?.resume(throwing: CancellationError())
    }
  }

  func release() {
    let next = state.withLock { s -> CheckedContinuation<Void, any Error>? in
      if s.waiters.isEmpty {
        s.available += 1
        return nil
      }
      return s.waiters.removeFirst().continuation
    }
    next?.resume()
  }
}
