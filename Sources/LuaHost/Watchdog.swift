import CLuaShim
import Foundation

/// Ends a run the count hook cannot stop (docs/async.md, "Limits").
///
/// A thread of its own that looks at the runtime's watch deadline twenty
/// times a second; the VM thread sets it when a run with a time limit starts
/// and clears it when the run and its clean-up are over.
final class Watchdog: @unchecked Sendable {  // `stopped` is guarded by `condition`
  private let condition = NSCondition()
  private var stopped = false

  init(state: OpaquePointer, onRunaway: @escaping @Sendable (String) -> Void) {
    let L = UnsafeSendablePointer(state)
    let thread = Thread { [self] in
      while let due = self.nextCheck(L.pointer) {
        guard due else { continue }
        onRunaway(LimitError.message(L.pointer, LSH_INTERRUPT_TIMEOUT))
        return
      }
    }
    thread.name = "lua-watchdog"
    thread.start()
  }

  /// Waits a little; true when the watch deadline has passed, nil once stopped.
  private func nextCheck(_ L: OpaquePointer) -> Bool? {
    condition.lock()
    defer { condition.unlock() }
    if stopped { return nil }
    _ = condition.wait(until: Date(timeIntervalSinceNow: 0.05))
    if stopped { return nil }
    let watch = lsh_watch_deadline(L)
    return watch > 0 && lsh_now() >= watch
  }

  func stop() {
    condition.lock()
    stopped = true
    condition.broadcast()
    condition.unlock()
  }
}
