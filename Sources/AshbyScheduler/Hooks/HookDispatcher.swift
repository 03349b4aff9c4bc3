import AshbyProcess
import AshbyState
import Foundation
import ServiceLifecycle
import Synchronization

/// Runs the deliveries hooks accepted, oldest first, on a few workers: each
/// delivery one run (with the hook's retries), one history row, the event on it.
///
/// Deliveries live in the state from the moment they are accepted, so a
/// crash loses none: at start, the ones a dead daemon had taken go back in
/// the queue. A delivery is run at least once; one whose run a stop or a
/// crash cut short runs again (Ashby had its 2xx and will not send it again).
///
/// It is the daemon's workers service: `run` takes deliveries until the
/// group shuts down gracefully (or the task is cancelled), then gives the
/// runs under way the stop's grace.
public actor HookDispatcher: Service {
  public private(set) var hooks: [String: Hook]
  let history: StateStore
  let runner: any JobRunner
  public nonisolated let owner: String
  let workers: Int
  /// How long a delivery stays this daemon's without a renewal (`Scheduler.defaultLease`), in real seconds.
  let lease: TimeInterval
  let clock: any SchedulerClock
  let log: @Sendable (String) -> Void
  /// Once it begins, no worker takes a delivery.
  public nonisolated let stopping: DaemonStop
  private let doorbell = Doorbell()
  private var tasks: [Task<Void, Never>] = []
  /// Deliveries running now, by delivery id (a stop cancels them after its grace).
  private var running: [Int64: Task<Void, Never>] = [:]

  public init(
    hooks: [Hook], history: StateStore, runner: any JobRunner, owner: String, workers: Int = 4,
    lease: TimeInterval = Scheduler.defaultLease, clock: any SchedulerClock = SystemClock(), stop: DaemonStop? = nil,
    log: @escaping @Sendable (String) -> Void = { _ in }
  ) {
    self.lease = lease
    self.hooks = Dictionary(hooks.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    self.history = history
    self.runner = runner
    self.owner = owner
    self.workers = max(1, workers)
    self.clock = clock
    self.stopping = stop ?? DaemonStop(grace: 10)
    self.log = log
  }

  nonisolated var attempts: RunAttempts { RunAttempts(runner: runner, history: history, clock: clock, stop: stopping, log: log) }

  /// The service: the workers run until the group shuts down, then stop.
  public func run() async throws {
    try start()
    try? await gracefulShutdown()  // returns on shutdown, throws on cancellation: both stop
    await stop(grace: nil)
  }

  /// Puts back what dead daemons of this host left running, then starts the workers.
  public func start() throws {
    let dead = try history.deliveryOwners().filter { $0 != owner && DaemonIdentity.isDeadHere($0) }
    let requeued = try history.requeueDeliveries(ownedBy: dead)
    if requeued > 0 {
      log("hooks: \(requeued) deliver\(requeued == 1 ? "y" : "ies") a daemon that is gone had taken queued again")
    }
    for _ in 0..<workers {
      tasks.append(Task { await self.work() })
    }
  }

  /// A delivery was accepted: wake a worker.
  public nonisolated func deliveryAccepted() { doorbell.ring() }

  public func reload(_ newHooks: [Hook]) {
    hooks = Dictionary(newHooks.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    doorbell.ring()
  }

  private func work() async {
    while !stopping.isStopping {
      let taken: (DeliveryRecord, RunRecord)?
      do {
        let now = Date()
        taken = try history.takeDelivery(hooks: Set(hooks.keys), owner: owner, now: now, until: now + lease) { queued in
          var record = RunRecord(
            job: queued.delivery.hook, trigger: .webhook, scheduledFor: nil, startedAt: self.clock.now, endedAt: nil,
            status: .running, attempts: 0, writes: 0, error: nil, owner: self.owner)
          record.event = queued.delivery.summary
          return record
        }
      } catch {
        DaemonMetrics.stateError("queue")
        log("hooks: cannot read the queue: \(error)")
        taken = nil
      }
      guard let (queued, record) = taken else {
        // Nothing waiting: sleep until a delivery comes, or a second passes
        // (another daemon sharing the state may have queued one).
        await doorbell.wait(upTo: .seconds(1))
        continue
      }
      let id = queued.id ?? 0
      let hook = hooks[queued.delivery.hook]
      let task = Task { await self.run(queued, record, hook: hook) }
      let heartbeat = renewing(queued, label: "\(queued.delivery.hook)#\(record.id ?? 0)", stopping: task)
      running[id] = task
      await task.value
      heartbeat.cancel()
      running[id] = nil
    }
  }

  /// Renews the delivery's lease every third of it while `run` goes on. When
  /// another daemon has taken the delivery over (this one stalled past its
  /// lease), the run is stopped: its script, if it has not written yet, does
  /// not write what the other daemon's run will, and its end is not recorded.
  private func renewing(_ queued: DeliveryRecord, label: String, stopping run: Task<Void, Never>) -> Task<Void, Never> {
    Task { [history, log, lease] in
      while !Task.isCancelled {
        try? await Task.sleep(nanoseconds: UInt64(lease / 3 * 1e9))  // the lease: --lease (1 s to a day) over the clock's rate (1 to 3600)
        if Task.isCancelled { break }
        if (try? history.renewDelivery(queued, until: Date() + lease)) == false {
          log("\(label): another daemon took the delivery over while this one did not renew its lease; stopping its run")
          run.cancel()
          break
        }
      }
    }
  }

  /// Stops taking deliveries; running ones get the stop's grace (or
  /// `grace`, when the stop had not begun), then are interrupted and queued
  /// again for the next start.
  public func stop(grace: TimeInterval?) async {
    stopping.begin(grace: grace)
    doorbell.ring()
    await stopping.waitForRuns { await self.running.isEmpty }
    for task in running.values { task.cancel() }
    for task in tasks { await task.value }
  }

  /// One delivery: the attempts, then its row and the queue told how it went.
  /// - Parameter hook: nil when the file lost the hook between taking and running (a reload).
  func run(_ queued: DeliveryRecord, _ started: RunRecord, hook: Hook?) async {
    var record = started
    let label = "\(queued.delivery.hook)#\(record.id ?? 0)"
    guard let hook else {
      // Never started (no attempt): the delivery waits for its hook, and no row stays.
      log("\(label): the hook is no longer in the schedule file; the delivery waits for it")
      await finish(queued, record, requeue: true, syncTokens: [:], hook: nil, label: label)
      return
    }
    log("\(label): started (\(queued.delivery.summary))")
    var input = RunInput(
      state: hook.name, syncTokens: (try? history.syncTokens(state: hook.name)) ?? [:],
      event: queued.delivery)
    input.audit = RunInput.AuditTarget(origin: "hook", name: hook.name, runID: record.id)
    let outcome = await attempts.attempts(hook.job, record: &record, label: label, input: input)
    // Cut short by a stop: it runs again after the restart, under a new row
    // (none stays for a run the stop came before).
    await finish(
      queued, record, requeue: outcome.status == .interrupted, syncTokens: outcome.syncTokens, hook: hook, label: label)
    if hook.job.onFailure != nil, record.status == .failed || record.status == .timeout {
      await runner.onFailure(hook.job, record: record, label: label)
    }
    let seconds = (record.endedAt ?? clock.now).timeIntervalSince(record.startedAt)
    log(
      "\(label): \(record.status.rawValue) in \(String(format: "%.1f", seconds)) s, \(record.writes)\(record.dryRun ? " planned" : "") write\(record.writes == 1 ? "" : "s")\(record.attempts > 1 ? ", \(record.attempts) attempts" : "")\(record.error.map { ": \($0)" } ?? "")\(outcome.planFile.map { "; plan saved to \($0) (ashby-lua plan show \($0); ashby-lua apply \($0))" } ?? "")"
    )
  }

  /// The run's end and the delivery's, in one write, retried while the state
  /// cannot be reached (the lease goes on being renewed meanwhile).
  private func finish(
    _ queued: DeliveryRecord, _ record: RunRecord, requeue: Bool, syncTokens: [String: String], hook: Hook?,
    label: String
  ) async {
    let recorded = await attempts.durably("the end", label: label) { [history, clock] in
      try history.finishDelivery(
        queued, run: record, requeue: requeue, syncTokens: syncTokens, keepRuns: hook?.job.keepRuns,
        endedAfter: hook?.job.keepAge.map { clock.now - $0 })
    }
    if recorded == false {
      DaemonMetrics.leaseTakeover("delivery")
      log("\(label): not recorded: another daemon took the delivery over after this one's lease ran out")
    }
  }
}

/// Wakes waiting workers: `ring` resumes everyone waiting, or the next to wait.
final class Doorbell: Sendable {
  private struct State {
    var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    var rung = false
    var next: UInt64 = 0
  }
  private let state = Mutex(State())

  func ring() {
    let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
      if s.waiters.isEmpty { s.rung = true }
      defer { s.waiters = [:] }
      return Array(s.waiters.values)
    }
    for waiter in waiters { waiter.resume() }
  }

  /// Returns when rung, or after `limit`.
  func wait(upTo limit: Duration) async {
    let id = state.withLock { s -> UInt64 in
      s.next += 1
      return s.next
    }
    let timer = Task {
      try? await Task.sleep(for: limit)
      self.resume(id)
    }
    await withCheckedContinuation { continuation in
      let resumeNow = state.withLock { s -> Bool in
        if s.rung {
          s.rung = false
          return true
        }
        s.waiters[id] = continuation
        return false
      }
      if resumeNow { continuation.resume() }
    }
    timer.cancel()
  }

  private func resume(_ id: UInt64) {
    let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
    waiter?.resume()
  }
}
