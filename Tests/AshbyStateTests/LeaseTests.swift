import AshbyTestSupport
import AshbyWebhook
import Foundation
import Testing

@testable import AshbyState

/// Leases and their fencing numbers, on whichever engine the run uses
/// (`FreshState`): a daemon that stalls past its lease finds, when it comes
/// back, that it may not record over what its successor did; deliveries are
/// deduplicated and bounded as they are stored.
@Suite struct LeaseTests {
  @Test func aDaemonPausedPastItsLeaseCannotRecordOverItsSuccessor() throws {
    let store = try StateSamples.store()
    guard case .started(let a) = try store.startRun(StateSamples.run("j", owner: "A", fire: StateSamples.t0), until: StateSamples.t0 + 90, now: StateSamples.t0)
    else { Issue.record("A did not start"); return }
    #expect(a.fence == 1)
    // A stalls: no renewal. The next fire, after A's lease ran out, goes to B, which ends A's run.
    let next = StateSamples.t0 + 120
    guard case .started(let b) = try store.startRun(StateSamples.run("j", owner: "B", fire: next), until: next + 90, now: next)
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
    let store = try StateSamples.store()
    guard case .started(let a) = try store.startRun(StateSamples.run("j", owner: "A", fire: nil), until: StateSamples.t0 + 90, now: StateSamples.t0)
    else { Issue.record("A did not start"); return }
    #expect(try store.renewLease("j", owner: "A", fence: a.fence, until: StateSamples.t0 + 180))
    guard case .held(let holder, let skipped) = try store.startRun(
      StateSamples.run("j", owner: "B", fire: StateSamples.t0 + 150), until: StateSamples.t0 + 240, now: StateSamples.t0 + 150)
    else { Issue.record("B was not held off"); return }
    #expect(holder == "A")
    #expect(skipped.status == .skipped)
    // The fire B skipped is claimed: nobody runs it later.
    if case .taken = try store.startRun(StateSamples.run("j", owner: "C", fire: StateSamples.t0 + 150), until: StateSamples.t0 + 400, now: StateSamples.t0 + 200) {
    } else {
      Issue.record("a skipped fire was claimed again")
    }
    var done = a
    done.status = .ok
    done.endedAt = StateSamples.t0 + 170
    #expect(try store.finishRun(done, syncTokens: [:], keepRuns: nil, endedAfter: nil))
  }

  @Test func aDeliveryWhoseDaemonStoppedRenewingRunsElsewhereAndTheStaleEndIsRefused() throws {
    let store = try StateSamples.store()
    #expect(try store.accept([StateSamples.arrival("e1")], capacity: 10) == [.accepted(1)])
    let now = Date()
    let first = try #require(try store.takeDelivery(hooks: ["h"], owner: "A", now: now, until: now + 2, run: StateSamples.hookRun("A")))
    // While A's lease lasts, nobody else takes it.
    #expect(try store.takeDelivery(hooks: ["h"], owner: "B", now: now + 1, until: now + 3, run: StateSamples.hookRun("B")) == nil)
    #expect(try store.renewDelivery(first.0, until: now + 4))
    #expect(try store.takeDelivery(hooks: ["h"], owner: "B", now: now + 3, until: now + 5, run: StateSamples.hookRun("B")) == nil)
    // A stops renewing: past its lease, B takes the delivery, and A's run is ended.
    let second = try #require(
      try store.takeDelivery(hooks: ["h"], owner: "B", now: now + 5, until: now + 7, run: StateSamples.hookRun("B")))
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
    let store = try StateSamples.store()
    #expect(try store.accept([StateSamples.arrival("old")], capacity: 10) == [.accepted(1)])
    let answers = try store.accept(
      [StateSamples.arrival("a"), StateSamples.arrival("old"), StateSamples.arrival("a"), StateSamples.arrival("b"), StateSamples.arrival("c"), StateSamples.arrival("b")],
      capacity: 3)
    guard answers.count == 6, case .accepted(let a) = answers[0], case .accepted(let b) = answers[3] else {
      Issue.record("\(answers)")
      return
    }
    // Room for two more: a and b are stored, c is refused, and each copy is a duplicate of the one stored.
    #expect(answers == [.accepted(a), .duplicate(1), .duplicate(a), .accepted(b), .full, .duplicate(b)])
    #expect(try store.pendingDeliveries().map(\.delivery.webhookActionId) == ["old", "a", "b"])
    #expect(try store.accept([StateSamples.arrival("c")], capacity: 3) == [.full])
    #expect(try store.accept([], capacity: 3).isEmpty)
  }
}
