import AshbyTestSupport
import AshbyWebhook
import Foundation
import Testing

@testable import AshbyScheduler
import AshbyState

/// The hooks' workers and the state's leases: a worker whose delivery another
/// daemon took over stops its run; a delivery taken as a stop begins waits.
@Suite struct FencingTests {
  @Test func aWorkerWhoseDeliveryIsTakenOverStopsItsRun() async throws {
    let store = try temporaryHistory()
    _ = try store.accept([StateSamples.arrival("e1")], capacity: 10)
    let runner = ScriptedRunner([.hold])
    let hook = Hook(name: "h", events: [], secret: .unsigned, job: try job("h", "@daily"))
    let dispatcher = HookDispatcher(hooks: [hook], history: store, runner: runner, owner: "A", workers: 1, lease: 0.3)
    try await dispatcher.start()
    #expect(await eventually(60) { runner.calls.count == 1 })  // the event itself: a loaded machine may take long
    // Another daemon takes the delivery over, as it would once A's lease ran out (here: "later").
    let taken = try #require(
      try store.takeDelivery(hooks: ["h"], owner: "B", now: Date() + 3600, until: Date() + 7200, run: StateSamples.hookRun("B")))
    // A's next renewal fails and its run is stopped: the held attempt ends only when cancelled, so
    // A's one worker is free for the next delivery only if it was.
    _ = try store.accept([StateSamples.arrival("e2")], capacity: 10)
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
    _ = try store.accept([StateSamples.arrival("e1")], capacity: 10)
    let runner = ScriptedRunner()
    let hook = Hook(name: "h", events: [], secret: .unsigned, job: try job("h", "@daily"))
    let dispatcher = HookDispatcher(hooks: [hook], history: store, runner: runner, owner: "A", workers: 1)
    let now = Date()
    let (delivery, record) = try #require(
      try store.takeDelivery(hooks: ["h"], owner: "A", now: now, until: now + 60, run: StateSamples.hookRun("A")))
    if stopBegan { dispatcher.stopping.begin(grace: 5) }
    await dispatcher.run(delivery, record, hook: stopBegan ? hook : nil)
    #expect(runner.calls.isEmpty)
    #expect(try store.runs(hook: "h").isEmpty)
    #expect(try store.pendingDeliveries().map(\.delivery.webhookActionId) == ["e1"])
    #expect(try store.pendingDeliveries().map(\.owner) == [nil])
  }
}
