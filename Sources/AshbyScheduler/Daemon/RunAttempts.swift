import AshbyProcess
import AshbyState
import Foundation

/// One run of a cron job or of a hook's delivery, from its first attempt to
/// its last, and the writes that start and end it. The daemon's one attempt
/// loop: a scheduled fire and a delivery retry, back off, stop and record
/// the same way.
struct RunAttempts: Sendable {
  let runner: any JobRunner
  let history: StateStore
  let clock: any SchedulerClock
  let stop: DaemonStop
  let log: @Sendable (String) -> Void

  /// Runs the attempts `job` allows; `record` gains each attempt, its writes
  /// and output, and ends with the final status. A run the stop cut short is
  /// `interrupted` (never retried); one cancelled otherwise (`overlap =
  /// "replace"`, a lease lost) is `cancelled`.
  func attempts(_ job: ScheduledJob, record: inout RunRecord, label: String, input: RunInput) async -> RunOutcome {
    var outcome = RunOutcome(status: .interrupted, exitCode: Int(ExitStatus.interrupted), error: "the daemon stopped before it started")
    while !Task.isCancelled && !stop.isStopping {
      record.attempts += 1
      outcome = await runner.run(job, label: label, input: input)
      DaemonMetrics.ashby(requests: outcome.requests, pacerWaits: outcome.pacerWaits)
      record.writes += outcome.writes
      record.dryRun = outcome.dryRun
      record.output = outcome.output
      if stop.isStopping && outcome.status != .ok {
        outcome.status = .interrupted
        outcome.error = outcome.error.map { "the daemon stopped: \($0)" } ?? "the daemon stopped"
      } else if Task.isCancelled && outcome.status != .ok {
        outcome.status = .cancelled
      }
      guard outcome.isRetryable, record.attempts <= job.retries, !stop.isStopping, !Task.isCancelled else { break }
      let delay = job.backoff(beforeRetry: record.attempts)
      log(
        "\(label): attempt \(record.attempts) \(outcome.status.rawValue)\(outcome.error.map { ": \($0)" } ?? ""); retrying in \(String(format: "%.1f", delay)) s"
      )
      record.status = .running
      record.error = outcome.error
      _ = try? history.update(record)
      do {
        try await Task.sleep(nanoseconds: UInt64(delay * 1e9))  // at most ten minutes (ScheduledJob.backoff)
      } catch {
        outcome =
          stop.isStopping
          ? RunOutcome(status: .interrupted, exitCode: Int(ExitStatus.interrupted), error: "the daemon stopped while waiting to retry")
          : RunOutcome(status: .cancelled, exitCode: Int(ExitStatus.interrupted), error: "stopped while waiting to retry")
        break
      }
    }
    record.status = outcome.status
    record.exitCode = outcome.exitCode
    record.error = outcome.error
    record.endedAt = clock.now
    DaemonMetrics.run(job.name, status: record.status, seconds: clock.now.timeIntervalSince(record.startedAt) / clock.rate)
    return outcome
  }

  /// The first backoff when the state cannot be reached, and the longest.
  static let firstRetry: TimeInterval = 0.25
  static let longestRetry: TimeInterval = 5

  /// `body`, a write that starts or ends a run, again and again with backoff
  /// while the state cannot be reached (a PostgreSQL restart, a network
  /// blip): a run that ended but was not recorded would run again once its
  /// lease ran out. Gives up only when the stop's grace has run out or the
  /// run's task is cancelled (its lease was taken over); nil then.
  func durably<T: Sendable>(_ what: String, label: String, _ body: @Sendable () throws -> T) async -> T? {
    var delay = Self.firstRetry
    var failures = 0
    while true {
      do {
        let value = try body()
        if failures > 0 { log("\(label): \(what) recorded after \(failures) failed tr\(failures == 1 ? "y" : "ies")") }
        return value
      } catch {
        failures += 1
        DaemonMetrics.stateError(what == "the start" ? "start" : "end")
        if Task.isCancelled || stop.isPastGrace {
          log("\(label): cannot record \(what): \(error); giving up (the daemon is stopping)")
          return nil
        }
        if failures == 1 || failures % 10 == 0 {
          log("\(label): cannot record \(what): \(error); trying again")
        }
        try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))  // 0.25 s to 5 s
        delay = min(Self.longestRetry, delay * 2)
      }
    }
  }
}
