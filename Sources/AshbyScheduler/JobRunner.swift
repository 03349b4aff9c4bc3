import AshbyProcess
import AshbyState
import Foundation

/// What one attempt of a job came to.
public struct RunOutcome: Sendable, Equatable {
  public var status: RunStatus
  public var exitCode: Int
  public var error: String?
  /// Writes made, or under dry run planned.
  public var writes: Int
  public var dryRun: Bool
  /// The end of what the run printed (stdout and stderr), for the history.
  public var output: String
  /// Where `ashby.changes` got to (endpoint → sync token); kept only if the run ended `ok`.
  public var syncTokens: [String: String] = [:]
  /// Requests the attempt made to Ashby (`"class status"` → count) and the pacer's waits.
  public var requests: [String: Int] = [:]
  public var pacerWaits = 0
  /// The plan a `plan_only` run saved, for a person to review and apply.
  public var planFile: String?

  public init(
    status: RunStatus, exitCode: Int, error: String? = nil, writes: Int = 0, dryRun: Bool = false, output: String = ""
  ) {
    self.status = status
    self.exitCode = exitCode
    self.error = error
    self.writes = writes
    self.dryRun = dryRun
    self.output = output
  }

  /// Worth another attempt: failures and timeouts, not auth or usage problems
  /// (`ExitStatus.mayRetry`), which the next attempt would meet again, and never
  /// a run something stopped (`interrupted`, `cancelled`): its writes may be made.
  var isRetryable: Bool {
    (status == .failed || status == .timeout) && ExitStatus.mayRetry(Int32(clamping: exitCode))
  }
}

/// Runs one attempt of a job. The scheduler knows nothing of Lua or Ashby:
/// the command line supplies a runner that starts a script session.
///
/// Task cancellation means stop now (`overlap = "replace"`, or the daemon
/// stopping); the runner should return promptly with `.cancelled`.
public protocol JobRunner: Sendable {
  /// - Parameter label: how the daemon's log names this run (`report#12`).
  func run(_ job: ScheduledJob, label: String) async -> RunOutcome
  /// The same, with what the run is given besides its arguments: the sync
  /// tokens, for a hook the delivery. Runners that need neither implement only `run(_:label:)`.
  func run(_ job: ScheduledJob, label: String, input: RunInput) async -> RunOutcome
  /// Runs the job's `on_failure` for a run that ended `failed` or `timeout`.
  func onFailure(_ job: ScheduledJob, record: RunRecord, label: String) async
}

extension JobRunner {
  public func run(_ job: ScheduledJob, label: String, input: RunInput) async -> RunOutcome {
    await run(job, label: label)
  }

  public func onFailure(_ job: ScheduledJob, record: RunRecord, label: String) async {}
}

/// Wall-clock time for the scheduler; tests drive a manual one.
public protocol SchedulerClock: Sendable {
  var now: Date { get }
  /// Returns at `date` or a little after; throws when the task is cancelled.
  func sleep(until date: Date) async throws
  /// Seconds of this clock per real second (1 but for `ScaledClock`): how often a lease is renewed.
  var rate: Double { get }
}

extension SchedulerClock {
  public var rate: Double { 1 }
}

/// The system's clock. Long sleeps are cut into minutes, so a clock change or
/// a suspended machine is noticed within one.
public struct SystemClock: SchedulerClock {
  public init() {}
  public var now: Date { Date() }
  public func sleep(until date: Date) async throws {
    let seconds = min(60, date.timeIntervalSinceNow)
    if seconds > 0 { try await Task.sleep(nanoseconds: UInt64(seconds * 1e9)) }  // ≤ 60 s
  }
}

/// The system's clock run fast from an origin: at `speed` 60 a minute of
/// schedule passes each second, so tests watch twenty fires of a `* * * * *`
/// job in twenty seconds. Daemons given the same origin and speed agree on
/// the time, as daemons on hosts with synchronized clocks do.
/// `schedule run` takes it from `ASHBY_LUA_CLOCK=ORIGIN:SPEED` (Unix seconds; tests only).
public struct ScaledClock: SchedulerClock {
  let origin: Date
  let speed: Double

  public init(origin: Date, speed: Double) {
    self.origin = origin
    self.speed = max(1, min(speed, 3600))
  }

  /// `ORIGIN:SPEED`, or nil when the text is not that.
  public init?(_ text: String) {
    let parts = text.split(separator: ":")
    guard parts.count == 2, let origin = Double(parts[0]), let speed = Double(parts[1]), origin.isFinite, speed.isFinite
    else { return nil }
    self.init(origin: Date(timeIntervalSince1970: origin), speed: speed)
  }

  public var now: Date { origin + Date().timeIntervalSince(origin) * speed }
  public var rate: Double { speed }

  public func sleep(until date: Date) async throws {
    let seconds = min(60, date.timeIntervalSince(now) / speed)
    if seconds > 0 { try await Task.sleep(nanoseconds: UInt64(seconds * 1e9)) }  // ≤ 60 s
  }
}
