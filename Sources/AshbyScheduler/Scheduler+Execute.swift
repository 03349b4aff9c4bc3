import Foundation

extension Scheduler {
  /// One run: the lease, the attempts with backoff between them, and the
  /// history row, written when the run starts and again when it ends.
  nonisolated func execute(_ job: ScheduledJob, fire: Date?, trigger: RunTrigger) async -> RunRecord {
    let started = clock.now
    var record = RunRecord(
      job: job.name, trigger: trigger, scheduledFor: fire, startedAt: started, endedAt: nil, status: .running,
      attempts: 0, writes: 0, error: nil, owner: owner)
    do {
      switch try history.startRun(record, until: started + leaseSeconds, now: started) {
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
      }
    } catch {
      log("\(job.name): cannot use the history: \(error)")
      record.status = .failed
      record.error = "cannot use the history: \(error)"
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
    var outcome = RunOutcome(status: .interrupted, exitCode: 130, error: "the daemon stopped before it started")
    let input = RunInput(state: job.name, syncTokens: (try? history.syncTokens(state: job.name)) ?? [:])
    while !Task.isCancelled && !stopping.load(ordering: .relaxed) {
      record.attempts += 1
      outcome = await runner.run(job, label: label, input: input)
      record.writes += outcome.writes
      record.dryRun = outcome.dryRun
      record.output = outcome.output
      if stopping.load(ordering: .relaxed) && outcome.status != .ok {
        outcome.status = .interrupted  // a stop, not the job's own failure: never retried
        outcome.error = outcome.error.map { "the daemon stopped: \($0)" } ?? "the daemon stopped"
      } else if Task.isCancelled {
        outcome.status = .cancelled
      }
      guard outcome.isRetryable, record.attempts <= job.retries, !stopping.load(ordering: .relaxed) else { break }
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
        outcome = RunOutcome(status: .cancelled, exitCode: 130, error: "stopped while waiting to retry")
        break
      }
    }
    heartbeat.cancel()
    record.status = outcome.status
    record.exitCode = outcome.exitCode
    record.error = outcome.error
    record.endedAt = clock.now
    do {
      // Only a run that ended ok moves the change feeds on: a failed one sees the same changes again.
      let recorded = try history.finishRun(
        record, syncTokens: outcome.syncTokens, keepRuns: job.keepRuns, endedAfter: job.keepAge.map { clock.now - $0 })
      if !recorded {
        log("\(label): not recorded: another daemon took the job over after this one's lease ran out (fence \(fence))")
        record.status = .interrupted
      }
    } catch {
      log("\(label): cannot write the history: \(error)")
    }
    if job.onFailure != nil, record.status == .failed || record.status == .timeout {
      await runner.onFailure(job, record: record, label: label)
    }
    let seconds = record.endedAt.map { $0.timeIntervalSince(started) } ?? 0
    log(
      "\(label): \(record.status.rawValue) in \(String(format: "%.1f", seconds)) s, \(record.writes)\(record.dryRun ? " planned" : "") write\(record.writes == 1 ? "" : "s")\(record.attempts > 1 ? ", \(record.attempts) attempts" : "")\(record.error.map { ": \($0)" } ?? "")"
    )
    return record
  }

  nonisolated func describe(_ trigger: RunTrigger, fire: Date?, in zone: TimeZone) -> String {
    guard let fire else { return trigger.rawValue }
    return "\(trigger == .catchUp ? "catching up on" : "scheduled for") \(ScheduledJob.format(fire, in: zone))"
  }
}
