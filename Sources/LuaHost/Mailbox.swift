import CLuaShim
import Foundation

/// The outcome of one async host call, posted from whatever executor ran it.
struct Completion: Sendable {
  let id: Int64
  let result: Result<[LuaValue], any Error>
}

/// The VM thread's queue: jobs from any thread, completions from async work,
/// and wake-ups (an interrupt). Only the VM thread takes from it.
final class Mailbox: @unchecked Sendable {
  enum Event {
    case completion(Completion)
    case woken
    case timedOut
  }

  private let condition = NSCondition()
  private var jobs: [@Sendable () -> Void] = []
  private var completions: [Completion] = []
  private var wakeups = 0
  private var closed = false

  func post(_ job: @escaping @Sendable () -> Void) {
    condition.lock()
    jobs.append(job)
    condition.broadcast()
    condition.unlock()
  }

  func post(_ completion: Completion) {
    condition.lock()
    completions.append(completion)
    condition.broadcast()
    condition.unlock()
  }

  func wake() {
    condition.lock()
    wakeups += 1
    condition.broadcast()
    condition.unlock()
  }

  func close() {
    condition.lock()
    closed = true
    condition.broadcast()
    condition.unlock()
  }

  /// The next job, or nil once closed. Blocks the VM thread.
  func nextJob() -> (@Sendable () -> Void)? {
    condition.lock()
    defer { condition.unlock() }
    while jobs.isEmpty && !closed { condition.wait() }
    return jobs.isEmpty ? nil : jobs.removeFirst()
  }

  /// The next completion or wake-up, waiting at most until `deadline`
  /// (monotonic seconds, 0 = no deadline).
  func nextEvent(until deadline: Double) -> Event {
    condition.lock()
    defer { condition.unlock() }
    while true {
      if wakeups > 0 {
        wakeups -= 1
        return .woken
      }
      if !completions.isEmpty { return .completion(completions.removeFirst()) }
      if deadline > 0 {
        let left = deadline - lsh_now()
        if left <= 0 { return .timedOut }
        _ = condition.wait(until: Date(timeIntervalSinceNow: left))
      } else {
        condition.wait()
      }
    }
  }

  /// Drops wake-ups left over from an earlier run.
  func clearWakeups() {
    condition.lock()
    wakeups = 0
    condition.unlock()
  }
}
