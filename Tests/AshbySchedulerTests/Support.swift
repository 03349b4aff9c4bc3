import Foundation
import AshbyTestSupport
import Synchronization

@testable import AshbyScheduler
import AshbyState

/// A clock the test moves by hand; sleepers wake when it passes their time.
final class ManualClock: SchedulerClock {
  private struct Sleeper {
    var id: Int
    var until: Date
    var continuation: CheckedContinuation<Void, any Error>
  }
  private struct State {
    var now: Date
    var sleepers: [Sleeper] = []
    var nextID = 0
  }
  private let state: Mutex<State>

  init(_ start: Date) { state = Mutex(State(now: start)) }

  var now: Date { state.withLock { $0.now } }

  /// How many tasks sleep on this clock now.
  var sleeping: Int { state.withLock { $0.sleepers.count } }

  func sleep(until date: Date) async throws {
    let id = state.withLock { s -> Int in
      s.nextID += 1
      return s.nextID
    }
    try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
        let ready = state.withLock { s -> Bool in
          if date <= s.now || Task.isCancelled { return true }
          s.sleepers.append(Sleeper(id: id, until: date, continuation: c))
          return false
        }
        if ready { Task.isCancelled ? c.resume(throwing: CancellationError()) : c.resume() }
      }
    } onCancel: {
      let sleeper = state.withLock { s -> Sleeper? in
        guard let i = s.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
        return s.sleepers.remove(at: i)
      }
      sleeper?.continuation.resume(throwing: CancellationError())
    }
  }

  func advance(to date: Date) {
    let ready = state.withLock { s -> [Sleeper] in
      s.now = date
      let ready = s.sleepers.filter { $0.until <= date }
      s.sleepers.removeAll { $0.until <= date }
      return ready
    }
    for sleeper in ready { sleeper.continuation.resume() }
  }
}

/// A runner whose attempts the test scripts: each call takes the next behaviour.
final class ScriptedRunner: JobRunner {
  enum Behaviour: Sendable {
    case finish(RunOutcome)
    /// Runs until `release()` (or cancellation), then finishes ok.
    case hold
  }
  private struct State {
    var plan: [Behaviour]
    var calls: [String] = []
    var released = false
  }
  private let state: Mutex<State>

  init(_ plan: [Behaviour] = []) { state = Mutex(State(plan: plan)) }

  var calls: [String] { state.withLock { $0.calls } }
  func release() { state.withLock { $0.released = true } }

  func run(_ job: ScheduledJob, label: String) async -> RunOutcome {
    let behaviour = state.withLock { s -> Behaviour in
      s.calls.append(job.name)
      return s.plan.isEmpty ? .finish(RunOutcome(status: .ok, exitCode: 0, writes: 1)) : s.plan.removeFirst()
    }
    switch behaviour {
    case .finish(let outcome): return outcome
    case .hold:
      while !state.withLock({ $0.released }) {
        if Task.isCancelled { return RunOutcome(status: .cancelled, exitCode: 130, error: "stopped") }
        try? await Task.sleep(nanoseconds: 2_000_000)
      }
      return RunOutcome(status: .ok, exitCode: 0)
    }
  }
}

/// Waits (in real time) until `condition` holds; false after `seconds`. The
/// bound is far past what the event takes (milliseconds alone): the whole
/// suite on a loaded 2-core machine has starved these waits past 30 s.
func eventually(_ seconds: Double = 120, _ condition: () throws -> Bool) async rethrows -> Bool {
  let deadline = Date().addingTimeInterval(seconds)
  while Date() < deadline {
    if try condition() { return true }
    try? await Task.sleep(nanoseconds: 5_000_000)
  }
  return try condition()
}

/// A new state: a SQLite file, or a new PostgreSQL database when the run is on it (`FreshState`).
func temporaryHistory() throws -> StateStore {
  try FreshState.open(
    try FreshState.make(
      sqlite: FileManager.default.temporaryDirectory.appendingPathComponent("h-\(UUID().uuidString)/s.sqlite").path))
}

func job(_ name: String, _ cron: String, configure: (inout ScheduledJob) -> Void = { _ in }) throws -> ScheduledJob {
  var j = ScheduledJob(
    name: name, script: "/dev/null", cron: try CronExpression(cron), timeZone: TimeZone(secondsFromGMT: 0) ?? .current)
  j.retryDelay = 0.01
  configure(&j)
  return j
}
