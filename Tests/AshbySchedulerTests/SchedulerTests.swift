import Foundation
import Testing

@testable import AshbyScheduler
import AshbyState

@Suite struct SchedulerTests {
  static func at(_ hhmmss: String, day: String = "2026-03-02") -> Date { CronTests.date("\(day)T\(hhmmss)Z") }

  /// A scheduler on a manual clock, running in a task the test cancels at the end.
  struct Daemon {
    let clock: ManualClock
    let history: StateStore
    let runner: ScriptedRunner
    let scheduler: Scheduler
    let task: Task<Void, any Error>

    init(_ jobs: [ScheduledJob], at start: Date, runner: ScriptedRunner = ScriptedRunner(), history: StateStore? = nil)
      throws
    {
      clock = ManualClock(start)
      self.history = try history ?? temporaryHistory()
      self.runner = runner
      let scheduler = Scheduler(jobs: jobs, history: self.history, runner: runner, clock: clock, owner: "daemon-A")
      self.scheduler = scheduler
      task = Task { try await scheduler.run() }
    }

    /// Moves the clock and waits until the daemon has acted and sleeps again.
    func advance(to date: Date, until condition: () throws -> Bool) async throws -> Bool {
      let asleep = await eventually { clock.sleeping == 1 }
      guard asleep else { return false }
      clock.advance(to: date)
      return try await eventually { try condition() && clock.sleeping == 1 }
    }

    func statuses() throws -> [String] {
      try history.runs().reversed().map { "\($0.scheduledFor.map { Self.minute($0) } ?? "-") \($0.status.rawValue)" }
    }

    static func minute(_ d: Date) -> String {
      let f = DateFormatter()
      f.timeZone = TimeZone(secondsFromGMT: 0)
      f.dateFormat = "MM-dd HH:mm"
      return f.string(from: d)
    }

    func stop() async {
      task.cancel()
      if case .failure(let e) = await task.result { Issue.record("the daemon failed: \(e)") }
    }
  }

  @Test func firesAtTheTimeAndRecordsTheRun() async throws {
    let d = try Daemon([try job("report", "0 9 * * *")], at: Self.at("08:59:30"))
    #expect(await eventually { d.clock.sleeping == 1 })
    #expect(d.runner.calls.isEmpty)
    #expect(try await d.advance(to: Self.at("09:00:01")) { try d.history.runs().first?.status == .ok })
    let run = try #require(try d.history.runs().first)
    #expect(run.scheduledFor == Self.at("09:00:00"))
    #expect(run.trigger == .schedule && run.writes == 1 && run.attempts == 1 && run.exitCode == 0)
    #expect(run.startedAt == Self.at("09:00:01") && run.owner == "daemon-A")
    #expect(try d.history.lastFire("report") == Self.at("09:00:00"))
    #expect(try d.history.leaseHolder("report", now: Self.at("09:00:02")) == nil)
    await d.stop()
  }

  @Test func overlapSkipRecordsTheSkippedFire() async throws {
    let d = try Daemon([try job("sync", "* * * * *")], at: Self.at("08:59:30"), runner: ScriptedRunner([.hold]))
    #expect(try await d.advance(to: Self.at("09:00:01")) { d.runner.calls.count == 1 })
    #expect(try await d.advance(to: Self.at("09:01:01")) { try d.history.runs().count == 2 })
    d.runner.release()
    #expect(try await eventually { try d.history.runs().allSatisfy { $0.status != .running } })
    #expect(try d.statuses() == ["03-02 09:00 ok", "03-02 09:01 skipped"])
    #expect(d.runner.calls.count == 1)
    await d.stop()
  }

  @Test func overlapQueueRunsOneMoreAfterwards() async throws {
    let j = try job("sync", "* * * * *") { $0.overlap = .queue }
    let d = try Daemon([j], at: Self.at("08:59:30"), runner: ScriptedRunner([.hold]))
    #expect(try await d.advance(to: Self.at("09:00:01")) { d.runner.calls.count == 1 })
    #expect(try await d.advance(to: Self.at("09:01:01")) { true })
    #expect(try await d.advance(to: Self.at("09:02:01")) { try d.history.runs().count == 2 })
    d.runner.release()
    #expect(await eventually { d.runner.calls.count == 2 && (try? d.history.runs().count) == 3 })
    #expect(await eventually { (try? d.history.runs().allSatisfy { $0.status != .running }) == true })
    #expect(try d.statuses() == ["03-02 09:00 ok", "03-02 09:02 skipped", "03-02 09:01 ok"])
    await d.stop()
  }

  @Test func overlapReplaceStopsTheRunningOne() async throws {
    let j = try job("sync", "* * * * *") { $0.overlap = .replace }
    let d = try Daemon([j], at: Self.at("08:59:30"), runner: ScriptedRunner([.hold]))
    #expect(try await d.advance(to: Self.at("09:00:01")) { d.runner.calls.count == 1 })
    #expect(try await d.advance(to: Self.at("09:01:01")) { d.runner.calls.count == 2 })
    #expect(await eventually { (try? d.history.runs().allSatisfy { $0.status != .running }) == true })
    #expect(try d.statuses() == ["03-02 09:00 cancelled", "03-02 09:01 ok"])
    await d.stop()
  }

  /// After a downtime the fires a tick finds are one batch: every overlap rule
  /// runs them one after another, and the on-time one is never skipped
  /// against its own batch (nor, under `replace`, a catch-up dropped unrecorded).
  @Test(arguments: [ScheduledJob.Overlap.skip, .queue, .replace], [ScheduledJob.CatchUp.none, .last, .all])
  func catchUpAfterDowntimeWithEachOverlapRule(overlap: ScheduledJob.Overlap, catchUp: ScheduledJob.CatchUp)
    async throws
  {
    let history = try temporaryHistory()
    try history.setLastFire("daily", Self.at("09:00:00", day: "2026-03-02"))
    let j = try job("daily", "0 9 * * *") {
      $0.catchUp = catchUp
      $0.overlap = overlap
    }
    let d = try Daemon([j], at: Self.at("09:00:30", day: "2026-03-05"), history: history)
    let expected =
      catchUp == .all
      ? ["03-03 09:00 ok catch_up", "03-04 09:00 ok catch_up", "03-05 09:00 ok schedule"]
      : ["03-05 09:00 ok schedule"]
    #expect(await eventually { d.runner.calls.count == expected.count && d.clock.sleeping == 1 })
    #expect(await eventually { (try? history.runs().allSatisfy { $0.status != .running }) == true })
    let rows = try history.runs().reversed().map {
      "\(Daemon.minute($0.scheduledFor ?? .distantPast)) \($0.status.rawValue) \($0.trigger.rawValue)"
    }
    #expect(rows == expected, "\(overlap) \(catchUp)")
    await d.stop()
  }

  @Test(arguments: [
    (ScheduledJob.CatchUp.none, ["03-05 09:00 skipped schedule"]),  // missed: past its grace
    (.last, ["03-05 09:00 ok catch_up"]),
    (.all, ["03-03 09:00 ok catch_up", "03-04 09:00 ok catch_up", "03-05 09:00 ok catch_up"]),
  ])
  func missedFiresFollowCatchUp(policy: ScheduledJob.CatchUp, expected: [String]) async throws {
    let history = try temporaryHistory()
    try history.setLastFire("daily", Self.at("09:00:00", day: "2026-03-02"))
    let j = try job("daily", "0 9 * * *") { $0.catchUp = policy }
    let d = try Daemon([j], at: Self.at("10:00:00", day: "2026-03-05"), history: history)
    let runs = expected.filter { !$0.contains("skipped") }.count
    #expect(await eventually { d.runner.calls.count == runs && d.clock.sleeping == 1 })
    #expect(await eventually { (try? history.runs().allSatisfy { $0.status != .running }) == true })
    let rows = try history.runs().reversed().map {
      "\(Daemon.minute($0.scheduledFor ?? .distantPast)) \($0.status.rawValue) \($0.trigger.rawValue)"
    }
    #expect(rows == expected)
    #expect(try history.lastFire("daily") == Self.at("09:00:00", day: "2026-03-05"))
    await d.stop()
  }

  @Test func aNewJobDoesNotCatchUpOnTimeBeforeItExisted() async throws {
    let j = try job("daily", "0 9 * * *") { $0.catchUp = .all }
    let d = try Daemon([j], at: Self.at("10:00:00", day: "2026-03-05"))
    #expect(await eventually { d.clock.sleeping == 1 })
    #expect(d.runner.calls.isEmpty)
    #expect(try d.history.lastFire("daily") == Self.at("10:00:00", day: "2026-03-05"))
    await d.stop()
  }

  @Test func failuresAreRetriedWithBackoffAndCounted() async throws {
    let failed = RunOutcome(status: .failed, exitCode: 1, error: "boom", writes: 0)
    let timedOut = RunOutcome(status: .timeout, exitCode: 1, error: "time limit")
    let runner = ScriptedRunner([.finish(failed), .finish(timedOut)])
    let scheduler = Scheduler(
      jobs: [], history: try temporaryHistory(), runner: runner, clock: ManualClock(Self.at("09:00:00")), owner: "A")
    let run = await scheduler.trigger(try job("flaky", "@daily") { $0.retries = 2 })
    #expect(run.status == .ok && run.attempts == 3 && run.writes == 1 && run.error == nil && run.trigger == .manual)

    let authRunner = ScriptedRunner([.finish(RunOutcome(status: .failed, exitCode: 3, error: "auth"))])
    let auth = Scheduler(
      jobs: [], history: try temporaryHistory(), runner: authRunner, clock: ManualClock(Self.at("09:00:00")), owner: "A"
    )
    let once = await auth.trigger(try job("flaky", "@daily") { $0.retries = 2 })
    #expect(once.status == .failed && once.attempts == 1 && once.exitCode == 3)
  }

  @Test func aLeaseKeepsASecondDaemonOff() async throws {
    let history = try temporaryHistory()
    let clock = ManualClock(Self.at("09:00:00"))
    let runner = ScriptedRunner([.hold])
    let a = Scheduler(jobs: [], history: history, runner: runner, clock: clock, owner: "daemon-A")
    let b = Scheduler(jobs: [], history: history, runner: runner, clock: clock, owner: "daemon-B")
    let j = try job("import", "@daily")
    let first = Task { await a.trigger(j) }
    #expect(await eventually { runner.calls.count == 1 })
    let second = await b.trigger(j)
    #expect(second.status == .skipped)
    #expect(second.error?.contains("another daemon is running it (daemon-A)") == true)
    runner.release()
    #expect(await first.value.status == .ok)
    #expect(await b.trigger(j).status == .ok)
  }

  @Test func runsLeftByADaemonThatIsGoneAreMarkedInterrupted() async throws {
    let history = try temporaryHistory()
    let now = Self.at("09:00:00")
    _ = try history.insert(
      RunRecord(
        job: "x", trigger: .schedule, scheduledFor: now, startedAt: now, endedAt: nil, status: .running, attempts: 1,
        writes: 0, error: nil, owner: "ghost"))
    let live = try history.insert(
      RunRecord(
        job: "y", trigger: .schedule, scheduledFor: now, startedAt: now, endedAt: nil, status: .running, attempts: 1,
        writes: 0, error: nil, owner: "alive"))
    #expect(try history.acquireLease("y", owner: "alive", until: now + 90, now: now))
    #expect(try history.markInterrupted(now: now + 1, dead: []) == 1)
    let rows = try history.runs()
    #expect(rows.first { $0.job == "x" }?.status == .interrupted)
    #expect(rows.first { $0.id == live.id }?.status == .running)
    // A dead owner of this host loses its lease at once, live or not.
    #expect(try history.markInterrupted(now: now + 2, dead: ["alive"]) == 1)
    #expect(try history.leaseHolder("y", now: now + 2) == nil)
  }
}

@Suite struct FireClaimTests {
  @Test func twoDaemonsOnOneFileRunEachFireOnce() async throws {
    let history = try temporaryHistory()
    let fire = SchedulerTests.at("09:00:00")
    let a = try history.claim("j", owner: "A", until: fire + 90, now: fire, fire: fire)
    #expect(a == .acquired)
    #expect(try history.claim("j", owner: "B", until: fire + 90, now: fire, fire: fire) == .taken)
    try history.releaseLease("j", owner: "A")
    // B wakes late, after A finished: the fire is still A's.
    #expect(try history.claim("j", owner: "B", until: fire + 120, now: fire + 30, fire: fire) == .taken)
    // The next fire is B's to take; A, still holding an old run, makes B skip instead.
    let next = fire + 60
    #expect(try history.claim("j", owner: "A", until: next + 90, now: next, fire: nil) == .acquired)
    #expect(try history.claim("j", owner: "B", until: next + 90, now: next, fire: next) == .held("A"))
    // B recorded that fire skipped; nobody else records it again (one row per fire).
    #expect(try history.claimFire("j", next) == false)
    try history.releaseLease("j", owner: "A")
    #expect(try history.claim("j", owner: "B", until: next + 90, now: next, fire: next) == .taken)
    #expect(try history.claim("j", owner: "B", until: next + 150, now: next + 60, fire: next + 60) == .acquired)
  }
}
