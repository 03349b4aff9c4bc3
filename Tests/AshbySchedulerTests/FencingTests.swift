import AshbyWebhook
import Foundation
import Testing

@testable import AshbyScheduler
import AshbyState

/// Leases and their fencing numbers, on whichever engine the run uses
/// (`FreshState`): a daemon that stalls past its lease finds, when it comes
/// back, that it may not record over what its successor did.
@Suite struct FencingTests {
  static let t0 = SchedulerTests.at("09:00:00")

  static func run(_ job: String, owner: String, fire: Date?) -> RunRecord {
    RunRecord(
      job: job, trigger: fire == nil ? .manual : .schedule, scheduledFor: fire, startedAt: fire ?? t0, endedAt: nil,
      status: .running, attempts: 1, writes: 0, error: nil, owner: owner)
  }

  @Test func aDaemonPausedPastItsLeaseCannotRecordOverItsSuccessor() throws {
    let store = try temporaryHistory()
    guard case .started(let a) = try store.startRun(Self.run("j", owner: "A", fire: Self.t0), until: Self.t0 + 90, now: Self.t0)
    else { Issue.record("A did not start"); return }
    #expect(a.fence == 1)
    // A stalls: no renewal. The next fire, after A's lease ran out, goes to B, which ends A's run.
    let next = Self.t0 + 120
    guard case .started(let b) = try store.startRun(Self.run("j", owner: "B", fire: next), until: next + 90, now: next)
    else { Issue.record("B did not take over"); return }
    #expect(b.fence == 2)
    #expect(try store.run(id: a.id ?? 0)?.status == .interrupted)
    // A wakes: its renewal and its end are refused, and the rows stay as B left them.
    #expect(try store.renewLease("j", owner: "A", fence: a.fence, until: next + 200) == false)
    var late = a
    late.status = .ok
    late.writes = 3
    late.endedAt = next + 10
    #expect(try store.finishRun(late, syncTokens: ["application.list": "stale"], keepRuns: nil, endedAfter: nil) == false)
    #expect(try store.run(id: a.id ?? 0)?.status == .interrupted)
    #expect(try store.syncTokens(state: "j").isEmpty)
    #expect(try store.leaseHolder("j", now: next + 1) == "B")
    // B's own end is recorded, its tokens kept, and the lease is free again.
    var done = b
    done.status = .ok
    done.endedAt = next + 5
    #expect(try store.finishRun(done, syncTokens: ["application.list": "t2"], keepRuns: nil, endedAfter: nil))
    #expect(try store.run(id: b.id ?? 0)?.status == .ok)
    #expect(try store.syncTokens(state: "j") == ["application.list": "t2"])
    #expect(try store.leaseHolder("j", now: next + 6) == nil)
    // A lease freed keeps its number: the next holder's is higher still.
    #expect(try store.leaseFence("j") == 2)
    _ = try store.claim("j", owner: "C", until: next + 300, now: next + 200, fire: nil)
    #expect(try store.leaseFence("j") == 3)
  }

  @Test func aLeaseStillLiveIsNotTakenAndItsRenewalHolds() throws {
    let store = try temporaryHistory()
    guard case .started(let a) = try store.startRun(Self.run("j", owner: "A", fire: nil), until: Self.t0 + 90, now: Self.t0)
    else { Issue.record("A did not start"); return }
    #expect(try store.renewLease("j", owner: "A", fence: a.fence, until: Self.t0 + 180))
    guard case .held(let holder, let skipped) = try store.startRun(
      Self.run("j", owner: "B", fire: Self.t0 + 150), until: Self.t0 + 240, now: Self.t0 + 150)
    else { Issue.record("B was not held off"); return }
    #expect(holder == "A")
    #expect(skipped.status == .skipped)
    // The fire B skipped is claimed: nobody runs it later.
    if case .taken = try store.startRun(Self.run("j", owner: "C", fire: Self.t0 + 150), until: Self.t0 + 400, now: Self.t0 + 200) {
    } else {
      Issue.record("a skipped fire was claimed again")
    }
    var done = a
    done.status = .ok
    done.endedAt = Self.t0 + 170
    #expect(try store.finishRun(done, syncTokens: [:], keepRuns: nil, endedAfter: nil))
  }

  static func arrival(_ id: String) -> WebhookDelivery {
    WebhookDelivery(hook: "h", webhookActionId: id, action: "applicationSubmit", receivedAt: t0, body: Data("{}".utf8))
  }

  static func hookRun(_ owner: String) -> (DeliveryRecord) -> RunRecord {
    { d in
      var r = RunRecord(
        job: d.delivery.hook, trigger: .webhook, scheduledFor: nil, startedAt: t0, endedAt: nil, status: .running, attempts: 0,
        writes: 0, error: nil, owner: owner)
      r.event = d.delivery.summary
      return r
    }
  }

  @Test func aDeliveryWhoseDaemonStoppedRenewingRunsElsewhereAndTheStaleEndIsRefused() throws {
    let store = try temporaryHistory()
    #expect(try store.accept([Self.arrival("e1")], capacity: 10) == [.accepted(1)])
    let now = Date()
    let first = try #require(try store.takeDelivery(hooks: ["h"], owner: "A", now: now, until: now + 2, run: Self.hookRun("A")))
    // While A's lease lasts, nobody else takes it.
    #expect(try store.takeDelivery(hooks: ["h"], owner: "B", now: now + 1, until: now + 3, run: Self.hookRun("B")) == nil)
    #expect(try store.renewDelivery(first.0, until: now + 4))
    #expect(try store.takeDelivery(hooks: ["h"], owner: "B", now: now + 3, until: now + 5, run: Self.hookRun("B")) == nil)
    // A stops renewing: past its lease, B takes the delivery, and A's run is ended.
    let second = try #require(
      try store.takeDelivery(hooks: ["h"], owner: "B", now: now + 5, until: now + 7, run: Self.hookRun("B")))
    #expect(second.0.fence == first.0.fence + 1)
    #expect(try store.run(id: first.1.id ?? 0)?.status == .interrupted)
    #expect(try store.renewDelivery(first.0, until: now + 10) == false)
    var stale = first.1
    stale.status = .ok
    stale.endedAt = now + 6
    #expect(
      try store.finishDelivery(first.0, run: stale, requeue: false, syncTokens: ["x": "stale"], keepRuns: nil, endedAfter: nil)
        == false)
    #expect(try store.pendingDeliveries().map(\.owner) == ["B"])
    var done = second.1
    done.status = .ok
    done.endedAt = now + 6
    #expect(try store.finishDelivery(second.0, run: done, requeue: false, syncTokens: [:], keepRuns: nil, endedAfter: nil))
    #expect(try store.pendingDeliveries().isEmpty)
    #expect(try store.runs(hook: "h").map(\.status) == [.ok, .interrupted])
    #expect(try store.syncTokens(state: "h").isEmpty)
  }

  @Test func aBatchOfDeliveriesIsDedupedWithinItselfAndAgainstTheStoreAndStopsAtCapacity() throws {
    let store = try temporaryHistory()
    #expect(try store.accept([Self.arrival("old")], capacity: 10) == [.accepted(1)])
    let answers = try store.accept(
      [Self.arrival("a"), Self.arrival("old"), Self.arrival("a"), Self.arrival("b"), Self.arrival("c"), Self.arrival("b")],
      capacity: 3)
    guard answers.count == 6, case .accepted(let a) = answers[0], case .accepted(let b) = answers[3] else {
      Issue.record("\(answers)")
      return
    }
    // Room for two more: a and b are stored, c is refused, and each copy is a duplicate of the one stored.
    #expect(answers == [.accepted(a), .duplicate(1), .duplicate(a), .accepted(b), .full, .duplicate(b)])
    #expect(try store.pendingDeliveries().map(\.delivery.webhookActionId) == ["old", "a", "b"])
    #expect(try store.accept([Self.arrival("c")], capacity: 3) == [.full])
    #expect(try store.accept([], capacity: 3).isEmpty)
  }

  @Test func aWorkerWhoseDeliveryIsTakenOverStopsItsRun() async throws {
    let store = try temporaryHistory()
    _ = try store.accept([Self.arrival("e1")], capacity: 10)
    let runner = ScriptedRunner([.hold])
    let hook = Hook(name: "h", events: [], secret: .unsigned, job: try job("h", "@daily"))
    let dispatcher = HookDispatcher(hooks: [hook], history: store, runner: runner, owner: "A", workers: 1, lease: 0.3)
    try await dispatcher.start()
    #expect(await eventually(60) { runner.calls.count == 1 })  // the event itself: a loaded machine may take long
    // Another daemon takes the delivery over, as it would once A's lease ran out (here: "later").
    let taken = try #require(
      try store.takeDelivery(hooks: ["h"], owner: "B", now: Date() + 3600, until: Date() + 7200, run: Self.hookRun("B")))
    // A's next renewal fails and its run is stopped: the held attempt ends only when cancelled, so
    // A's one worker is free for the next delivery only if it was.
    _ = try store.accept([Self.arrival("e2")], capacity: 10)
    #expect(await eventually(60) { runner.calls.count == 2 })
    #expect(try store.pendingDeliveries().map(\.delivery.webhookActionId) == ["e1"])
    #expect(try store.pendingDeliveries().map(\.owner) == ["B"])
    #expect(try store.run(id: taken.1.id ?? 0)?.status == .running)
    #expect(try store.runs(hook: "h").first { $0.owner == "A" && $0.event?.hasSuffix("e1") == true }?.status == .interrupted)
    await dispatcher.stop(grace: 1)
  }

  /// A delivery taken in the instant a stop begins (or a reload drops its
  /// hook) never starts: it waits in the queue for the next daemon, and no
  /// row says a run was cut short.
  @Test(arguments: [true, false]) func aDeliveryTakenButNeverStartedLeavesNoRunAndWaits(stopBegan: Bool) async throws {
    let store = try temporaryHistory()
    _ = try store.accept([Self.arrival("e1")], capacity: 10)
    let runner = ScriptedRunner()
    let hook = Hook(name: "h", events: [], secret: .unsigned, job: try job("h", "@daily"))
    let dispatcher = HookDispatcher(hooks: [hook], history: store, runner: runner, owner: "A", workers: 1)
    let now = Date()
    let (delivery, record) = try #require(
      try store.takeDelivery(hooks: ["h"], owner: "A", now: now, until: now + 60, run: Self.hookRun("A")))
    if stopBegan { dispatcher.stopping.begin(grace: 5) }
    await dispatcher.run(delivery, record, hook: stopBegan ? hook : nil)
    #expect(runner.calls.isEmpty)
    #expect(try store.runs(hook: "h").isEmpty)
    #expect(try store.pendingDeliveries().map(\.delivery.webhookActionId) == ["e1"])
    #expect(try store.pendingDeliveries().map(\.owner) == [nil])
  }
}
