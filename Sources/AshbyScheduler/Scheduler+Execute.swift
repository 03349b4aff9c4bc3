import AshbyProcess
import AshbyState
import Foundation

extension Scheduler {
  nonisolated var attempts: RunAttempts { RunAttempts(runner: runner, history: history, clock: clock, stop: stopping, log: log) }

  /// One run: the lease, the attempts (`RunAttempts`), and the history row,
  /// written when the run starts and again when it ends: both writes are
  /// retried while the state cannot be reached, and the lease is renewed
  /// until the end is stored.
  nonisolated func execute(_ job: ScheduledJob, fire: Date?, trigger: RunTrigger) async -> RunRecord {
    let started = clock.now
    var record = RunRecord(
      job: job.name, trigger: trigger, scheduledFor: fire, startedAt: started, endedAt: nil, status: .running,
      attempts: 0, writes: 0, error: nil, owner: owner)
    let attempts = self.attempts
    let start = await attempts.durably("the start", label: job.name) { [history, clock, leaseSeconds, record] in
      try history.startRun(record, until: clock.now + leaseSeconds, now: clock.now)
    }
    switch start {
    case .started(let row):
      record = row
    case .held(_, let row):
      log("\(job.name)#\(row.id ?? 0): skipped: \(row.error ?? "")")
      return row
    case .taken:
      log("\(job.name): another daemon has taken this fire")
      record.status = .skipped
      record.endedAt = started
      return record
    case nil:
      record.status = .interrupted
      record.error = "the daemon stopped before the state could record the run's start"
      return record
    }
    let label = "\(job.name)#\(record.id ?? 0)"
    log("\(label): started (\(describe(trigger, fire: fire, in: job.timeZone)))")

    let fence = record.fence
    let heartbeat = Task {
      while !Task.isCancelled {
        // Real seconds: a lease (1 s to a day, --lease) at the clock's rate (1 to 3600).
        try? await Task.sleep(nanoseconds: UInt64(leaseSeconds / 3 / clock.rate * 1e9))  // lease 1 s...a day, rate 1...3600
        if Task.isCancelled { break }
        if (try? history.renewLease(job.name, owner: owner, fence: fence, until: clock.now + leaseSeconds)) == false {
          log("\(job.name): another daemon took the job over while this one did not renew its lease")
        }
      }
    }
    var input = RunInput(state: job.name, syncTokens: (try? history.syncTokens(state: job.name)) ?? [:])
    input.audit = RunInput.AuditTarget(origin: "job", name: job.name, runID: record.id)
    let outcome = await attempts.attempts(job, record: &record, label: label, input: input)
    let finished = record
    // Only a run that ended ok moves the change feeds on: a failed one sees the same changes again.
    let recorded = await attempts.durably("the end", label: label) { [history, clock, finished] in
      try history.finishRun(
        finished, syncTokens: outcome.syncTokens, keepRuns: job.keepRuns, endedAfter: job.keepAge.map { clock.now - $0 })
    }
    heartbeat.cancel()
    if recorded == false {
      DaemonMetrics.leaseTakeover("job")
      log("\(label): not recorded: another daemon took the job over after this one's lease ran out (fence \(fence))")
      record.status = .interrupted
    }
    if job.onFailure != nil, record.status == .failed || record.status == .timeout {
      await runner.onFailure(job, record: record, label: label)
    }
    let seconds = record.endedAt.map { $0.timeIntervalSince(started) } ?? 0
    log(
      "\(label): \(record.status.rawValue) in \(String(format: "%.1f", seconds)) s, \(record.writes)\(record.dryRun ? " planned" : "") write\(record.writes == 1 ? "" : "s")\(record.attempts > 1 ? ", \(record.attempts) attempts" : "")\(record.error.map { ": \($0)" } ?? "")\(outcome.planFile.map { "; plan saved to \($0) (ashby-lua plan show \($0); ashby-lua apply \($0))" } ?? "")"
    )
    return record
  }

  nonisolated func describe(_ trigger: RunTrigger, fire: Date?, in zone: TimeZone) -> String {
    guard let fire else { return trigger.rawValue }
    return "\(trigger == .catchUp ? "catching up on" : "scheduled for") \(ScheduledJob.format(fire, in: zone))"
  }
}
