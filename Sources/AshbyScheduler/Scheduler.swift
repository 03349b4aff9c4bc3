import AshbyState
import Foundation
import ServiceLifecycle

/// The daemon: wakes at each job's next fire time and runs it, honouring
/// `overlap`, `catch_up`, `retries` and the lease that keeps two daemons from
/// running the same job.
///
/// Every fire ends in one history row with one final status: it ran (`ok`,
/// `failed`, `timeout`, `cancelled`, `interrupted`), or it was `skipped` and
/// the row says why. Time comes from a `SchedulerClock`, runs from a
/// `JobRunner`, memory from a `StateStore`; the actor only decides what runs when.
///
/// It is the daemon's cron service: `run` ends on the group's graceful
/// shutdown (or on cancellation), after the runs under way have had the
/// stop's grace.
public actor Scheduler: Service {
  public private(set) var jobs: [ScheduledJob]
  /// This daemon's name in leases and in the history (`DaemonIdentity`).
  public nonisolated let owner: String
  let history: StateStore
  let runner: any JobRunner
  let clock: any SchedulerClock
  let log: @Sendable (String) -> Void
  /// Once it begins: no new run, no retry, and runs under way get its grace (read off the actor by `execute`).
  public nonisolated let stopping: DaemonStop

  /// A lease lasts this long unless renewed; a running job renews it every
  /// third of it. It bounds how long a job (or a delivery) whose daemon died
  /// on another host waits before another daemon takes it over.
  public static let defaultLease: TimeInterval = 90
  let leaseSeconds: TimeInterval

  struct Pending {
    var fire: Date?
    var trigger: RunTrigger
  }
  private struct Slot {
    var task: Task<Void, Never>?
    var pending: [Pending] = []
  }
  private var slots: [String: Slot] = [:]
  private var lastFire: [String: Date] = [:]

  public init(
    jobs: [ScheduledJob], history: StateStore, runner: any JobRunner, clock: any SchedulerClock = SystemClock(),
    owner: String = DaemonIdentity.current(), stopGrace: TimeInterval = 10, lease: TimeInterval = defaultLease,
    stop: DaemonStop? = nil, log: @escaping @Sendable (String) -> Void = { _ in }
  ) {
    self.stopping = stop ?? DaemonStop(grace: stopGrace)
    self.leaseSeconds = lease
    self.jobs = jobs
    self.history = history
    self.runner = runner
    self.clock = clock
    self.owner = owner
    self.log = log
  }

  /// Fires jobs until the group shuts down gracefully or the task is
  /// cancelled, then stops: fires still waiting are recorded skipped, running
  /// jobs get the stop's grace to finish and are then interrupted (recorded
  /// `interrupted`, never retried).
  public func run() async throws {
    try reclaimDead()
    try startTracking(jobs)
    do {
      try await cancelWhenGracefulShutdown { try await self.fire() }
    } catch is CancellationError {
    }
    await stopAll()
  }

  /// Runs and leases left by processes of this host that are gone (a daemon,
  /// or a `schedule trigger` killed with `kill -9`) are ended and freed at once.
  private func reclaimDead() throws {
    let dead = try history.activeOwners().filter { $0 != owner && DaemonIdentity.isDeadHere($0) }
    let interrupted = try history.markInterrupted(now: clock.now, dead: dead)
    if interrupted > 0 {
      log("\(interrupted) run\(interrupted == 1 ? "" : "s") left running by a process that is gone marked interrupted")
    }
  }

  /// The cron loop: wakes at the next fire time, starts what is due.
  private func fire() async throws {
    while !Task.isCancelled && !stopping.isStopping {
      let now = clock.now
      for job in jobs { try tick(job, now: now) }
      let wake = jobs.compactMap { job in lastFire[job.name].flatMap { job.cron.next(after: $0, in: job.timeZone) } }
      do {
        try await clock.sleep(until: wake.min() ?? now.addingTimeInterval(3600))
      } catch {
        return
      }
    }
  }

  /// Fires of jobs new to the history count from now.
  private func startTracking(_ jobs: [ScheduledJob]) throws {
    let start = clock.now
    for job in jobs where lastFire[job.name] == nil {
      if let last = try history.lastFire(job.name) {
        lastFire[job.name] = last
      } else {
        lastFire[job.name] = start
        try history.setLastFire(job.name, start)
      }
    }
  }

  /// Takes a new set of jobs (SIGHUP): runs under way go on; a job that is
  /// gone fires no more; a new one counts its fires from now.
  public func reload(_ newJobs: [ScheduledJob]) throws {
    jobs = newJobs
    try startTracking(newJobs)
    let names = Set(newJobs.map(\.name))
    for name in lastFire.keys where !names.contains(name) { lastFire[name] = nil }
    log("schedule: reloaded, \(newJobs.count) job\(newJobs.count == 1 ? "" : "s")")
  }

  /// The fires of `job` due by `now`, sorted into runs by its `catch_up` rule.
  private func tick(_ job: ScheduledJob, now: Date) throws {
    guard let last = lastFire[job.name] else { return }
    let due = job.cron.fireTimes(after: last, through: now, in: job.timeZone, limit: ScheduledJob.catchUpLimit)
    guard let newest = due.last else { return }
    lastFire[job.name] = newest
    try history.setLastFire(job.name, newest)
    let onTime = now.timeIntervalSince(newest) <= job.grace
    var runs: [Pending]
    switch job.catchUp {
    case .none: runs = onTime ? [Pending(fire: newest, trigger: .schedule)] : []
    case .last: runs = [Pending(fire: newest, trigger: onTime ? .schedule : .catchUp)]
    case .all: runs = due.map { Pending(fire: $0, trigger: $0 == newest && onTime ? .schedule : .catchUp) }
    }
    let notRun = due.count - runs.count
    if notRun > 0 {
      log("\(job.name): \(notRun) missed fire\(notRun == 1 ? "" : "s") not run (catch_up = \"\(job.catchUp.rawValue)\")")
    }
    if !onTime && job.catchUp == .none {
      let why = "missed: \(Self.lateness(now, newest)) late, past its grace of \(Int(job.grace)) s (catch_up = \"none\")"
      recordSkipped(job, Pending(fire: newest, trigger: .schedule), why: why)
    }
    dispatch(job, runs)
  }

  static func lateness(_ now: Date, _ fire: Date) -> String {
    let s = Int(now.timeIntervalSince(fire))
    return s < 120 ? "\(s) s" : s < 7200 ? "\(s / 60) min" : "\(s / 3600) h"
  }

  /// Starts the first of one tick's runs and queues the rest behind it: they
  /// are one batch, whatever `overlap` says. When an earlier run is still
  /// going, `overlap` decides about this batch's scheduled fire; late
  /// (catch-up) fires always wait their turn.
  private func dispatch(_ job: ScheduledJob, _ runs: [Pending]) {
    guard !runs.isEmpty, !stopping.isStopping else { return }
    var slot = slots[job.name] ?? Slot()
    defer { slots[job.name] = slot }
    guard slot.task != nil else {
      slot.task = start(job, runs[0])
      slot.pending += runs.dropFirst()
      return
    }
    let late = runs.filter { $0.trigger == .catchUp }
    slot.pending += late
    guard let onTime = runs.first(where: { $0.trigger == .schedule }) else { return }
    switch job.overlap {
    case .skip:
      recordSkipped(job, onTime, why: "the previous run was still going (overlap = \"skip\")")
    case .queue:
      if slot.pending.contains(where: { $0.trigger == .schedule }) {
        recordSkipped(job, onTime, why: "a run was already queued (overlap = \"queue\")")
      } else {
        slot.pending.append(onTime)
      }
    case .replace:
      log("\(job.name): stopping the running attempt to start anew (overlap = \"replace\")")
      for dropped in slot.pending { recordSkipped(job, dropped, why: "replaced by a newer fire (overlap = \"replace\")") }
      slot.task?.cancel()
      slot.pending = [onTime]
    }
  }

  private func start(_ job: ScheduledJob, _ run: Pending) -> Task<Void, Never> {
    Task {
      _ = await self.execute(job, fire: run.fire, trigger: run.trigger)
      self.finished(job.name)
    }
  }

  private func finished(_ name: String) {
    guard var slot = slots[name] else { return }
    slot.task = nil
    if !slot.pending.isEmpty, !stopping.isStopping,
      let job = jobs.first(where: { $0.name == name })
    {
      slot.task = start(job, slot.pending.removeFirst())
    }
    slots[name] = slot
  }

  private func stopAll() async {
    stopping.begin()
    for (name, slot) in slots {
      guard let job = jobs.first(where: { $0.name == name }) else { continue }
      for waiting in slot.pending { recordSkipped(job, waiting, why: "the daemon stopped before its turn") }
      slots[name]?.pending = []
    }
    let tasks = slots.values.compactMap(\.task)
    guard !tasks.isEmpty else { return }
    let left = max(0, Int(stopping.runsEnd.timeIntervalSinceNow.rounded(.up)))
    log("schedule: waiting up to \(left) s for \(tasks.count) running job\(tasks.count == 1 ? "" : "s")")
    await stopping.waitForRuns { await self.slots.values.allSatisfy { $0.task == nil } }
    for task in slots.values.compactMap(\.task) { task.cancel() }
    for task in tasks { await task.value }
  }

  func recordSkipped(_ job: ScheduledJob, _ run: Pending, why: String) {
    let now = clock.now
    do {
      // Of daemons sharing the history, the first to claim a fire records it: one row per fire.
      if let fire = run.fire, try !history.claimFire(job.name, fire, owner: owner) { return }
      let record = try history.insert(
        RunRecord(
          job: job.name, trigger: run.trigger, scheduledFor: run.fire, startedAt: now, endedAt: now, status: .skipped,
          attempts: 0, writes: 0, error: why, owner: owner))
      log("\(job.name)#\(record.id ?? 0): skipped: \(why)")
    } catch {
      log("\(job.name): cannot write the history: \(error)")
    }
  }

  /// Runs `job` now, outside the schedule (`schedule trigger`), with its
  /// retries and its lease, after taking back what dead processes of this
  /// host held. `stop` ends it: the run is interrupted and recorded so.
  public func trigger(_ job: ScheduledJob) async -> RunRecord {
    do {
      try reclaimDead()
    } catch {
      log("\(job.name): cannot read the history: \(error)")
    }
    return await execute(job, fire: nil, trigger: .manual)
  }
}
