import Foundation

/// The daemon: wakes at each job's next fire time and runs it, honouring
/// `overlap`, `catch_up`, `retries` and the lease that keeps two daemons from
/// running the same job.
///
/// Time comes from a `SchedulerClock`, runs from a `JobRunner`, memory from a
/// `RunHistory`; the actor itself only decides what runs when.
public actor Scheduler {
  public nonisolated let jobs: [ScheduledJob]
  /// This daemon's name in leases and in the history (host, process, nonce).
  public nonisolated let owner: String
  let history: RunHistory
  let runner: any JobRunner
  let clock: any SchedulerClock
  let log: @Sendable (String) -> Void

  /// A fire still counts as on time this long after it (a busy machine, a slow wake).
  public static let grace: TimeInterval = 60
  /// A lease lasts this long unless renewed; a running job renews it every third of it.
  public static let leaseSeconds: TimeInterval = 90

  private struct Slot {
    var task: Task<Void, Never>?
    var pending: [(fire: Date?, trigger: RunTrigger)] = []
  }
  private var slots: [String: Slot] = [:]
  private var lastFire: [String: Date] = [:]

  public init(
    jobs: [ScheduledJob], history: RunHistory, runner: any JobRunner, clock: any SchedulerClock = SystemClock(),
    owner: String = Scheduler.defaultOwner(), log: @escaping @Sendable (String) -> Void = { _ in }
  ) {
    self.jobs = jobs
    self.history = history
    self.runner = runner
    self.clock = clock
    self.owner = owner
    self.log = log
  }

  public static func defaultOwner() -> String {
    "\(ProcessInfo.processInfo.hostName):\(getpid()):\(String(UInt16.random(in: 0...UInt16.max), radix: 16))"
  }

  /// Runs until the task is cancelled, then stops the running jobs (recorded as cancelled).
  public func run() async throws {
    let abandoned = try history.markAbandoned(now: clock.now)
    if abandoned > 0 {
      log("\(abandoned) run\(abandoned == 1 ? "" : "s") left running by a stopped daemon marked abandoned")
    }
    let start = clock.now
    for job in jobs {
      if let last = try history.lastFire(job.name) {
        lastFire[job.name] = last
      } else {
        lastFire[job.name] = start
        try history.setLastFire(job.name, start)
      }
    }
    while !Task.isCancelled {
      let now = clock.now
      for job in jobs { try tick(job, now: now) }
      let wake = jobs.compactMap { job in lastFire[job.name].flatMap { job.cron.next(after: $0, in: job.timeZone) } }
      do {
        try await clock.sleep(until: wake.min() ?? now.addingTimeInterval(3600))
      } catch {
        break
      }
    }
    await stopAll()
  }

  /// The fires of `job` due by `now`, sorted into runs by its `catch_up` rule.
  private func tick(_ job: ScheduledJob, now: Date) throws {
    guard let last = lastFire[job.name] else { return }
    let due = job.cron.fireTimes(after: last, through: now, in: job.timeZone, limit: ScheduledJob.catchUpLimit)
    guard let newest = due.last else { return }
    lastFire[job.name] = newest
    try history.setLastFire(job.name, newest)
    let onTime = now.timeIntervalSince(newest) <= Self.grace
    let runs: [(Date, RunTrigger)]
    switch job.catchUp {
    case .none: runs = onTime ? [(newest, .schedule)] : []
    case .last: runs = [(newest, onTime ? .schedule : .catchUp)]
    case .all: runs = due.map { ($0, $0 == newest && onTime ? .schedule : .catchUp) }
    }
    if runs.count < due.count {
      let missed = due.count - runs.count
      log(
        "\(job.name): \(missed) missed fire\(missed == 1 ? "" : "s") not run (catch_up = \"\(job.catchUp.rawValue)\")")
    }
    for (fire, trigger) in runs { dispatch(job, fire: fire, trigger: trigger) }
  }

  /// Starts a run, or applies `overlap` when the last one is still going.
  /// Late (catch-up) runs always wait their turn.
  private func dispatch(_ job: ScheduledJob, fire: Date, trigger: RunTrigger) {
    var slot = slots[job.name] ?? Slot()
    defer { slots[job.name] = slot }
    guard slot.task != nil else {
      slot.task = start(job, fire: fire, trigger: trigger)
      return
    }
    if trigger == .catchUp {
      slot.pending.append((fire, trigger))
      return
    }
    switch job.overlap {
    case .skip:
      recordSkipped(job, fire: fire, trigger: trigger, why: "the previous run was still going (overlap = \"skip\")")
    case .queue:
      if slot.pending.isEmpty {
        slot.pending.append((fire, trigger))
      } else {
        recordSkipped(job, fire: fire, trigger: trigger, why: "a run was already queued (overlap = \"queue\")")
      }
    case .replace:
      log("\(job.name): stopping the running attempt to start anew (overlap = \"replace\")")
      slot.task?.cancel()
      slot.pending = [(fire, trigger)]
    }
  }

  private func start(_ job: ScheduledJob, fire: Date?, trigger: RunTrigger) -> Task<Void, Never> {
    Task {
      _ = await self.execute(job, fire: fire, trigger: trigger)
      self.finished(job)
    }
  }

  private func finished(_ job: ScheduledJob) {
    guard var slot = slots[job.name] else { return }
    slot.task = nil
    if !slot.pending.isEmpty {
      let next = slot.pending.removeFirst()
      slot.task = start(job, fire: next.fire, trigger: next.trigger)
    }
    slots[job.name] = slot
  }

  private func stopAll() async {
    let tasks = slots.values.compactMap(\.task)
    for key in slots.keys { slots[key]?.pending = [] }
    for task in tasks { task.cancel() }
    for task in tasks { await task.value }
  }

  private func recordSkipped(_ job: ScheduledJob, fire: Date?, trigger: RunTrigger, why: String) {
    let now = clock.now
    log("\(job.name): skipped: \(why)")
    do {
      _ = try history.insert(
        RunRecord(
          job: job.name, trigger: trigger, scheduledFor: fire, startedAt: now, endedAt: now, status: .skipped,
          attempts: 0, writes: 0, error: why, owner: owner))
    } catch {
      log("\(job.name): cannot write the history: \(error)")
    }
  }

  /// Runs `job` now, outside the schedule (`schedule trigger`), with its retries and its lease.
  public func trigger(_ job: ScheduledJob) async -> RunRecord {
    await execute(job, fire: nil, trigger: .manual)
  }
}
