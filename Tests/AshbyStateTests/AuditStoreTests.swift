import AshbyTestSupport
import Foundation
import Synchronization
import Testing

@testable import AshbyState

/// The audit log's rows in the store, on whichever engine the run uses (`FreshState`).
@Suite struct AuditStoreTests {
  static func record(_ endpoint: String, run: String = "r1", job: String? = nil, at time: Date = Date()) -> AuditRecord {
    AuditRecord(time: time, runID: run, origin: job == nil ? "run" : "job", job: job, endpoint: endpoint, params: "{}")
  }

  @Test func aRowIsPendingUntilItsWriteEnds() throws {
    let store = try FreshState.open(FreshState.make(sqlite: scratch().appendingPathComponent("s.sqlite").path))
    let first = try store.beginWrite(Self.record("candidate.create"))
    let second = try store.beginWrite(Self.record("application.changeStage", run: "r2", job: "nightly"))
    try store.endWrite(AuditEnding(id: first, outcome: "ok", objectID: "cand-1", requestID: "req-1"))
    let rows = try store.audit(AuditFilter())
    #expect(rows.map(\.id) == [second, first])  // newest first
    #expect(rows.map(\.outcome) == ["pending", "ok"])
    #expect(rows.last?.objectID == "cand-1" && rows.last?.endedAt != nil)
    #expect(try store.audit(AuditFilter(job: "nightly")).map(\.id) == [second])
    #expect(try store.audit(AuditFilter(runID: "r1", endpoint: "candidate.create")).map(\.id) == [first])
  }

  /// One transaction completes the writes that ended and stores the ones about to be sent, ids in order.
  @Test func aBatchEndsAndBeginsWritesTogether() throws {
    let store = try FreshState.open(FreshState.make(sqlite: scratch().appendingPathComponent("s.sqlite").path))
    let earlier = try store.beginWrite(Self.record("candidate.create"))
    let ids = try store.recordWrites(
      begun: [Self.record("candidate.update"), Self.record("candidate.addTag")],
      ended: [AuditEnding(id: earlier, outcome: "ambiguous", error: "connection reset")])
    #expect(ids.count == 2 && ids[0] < ids[1] && ids[0] > earlier)
    let rows = try store.audit(AuditFilter())
    #expect(rows.map(\.endpoint) == ["candidate.addTag", "candidate.update", "candidate.create"])
    #expect(rows.map(\.outcome) == ["pending", "pending", "ambiguous"])
    #expect(rows.last?.error == "connection reset")
  }

  /// Retention forgets old rows, never a pending one: nobody knows yet whether it landed.
  @Test func retentionKeepsPendingRows() throws {
    let store = try FreshState.open(FreshState.make(sqlite: scratch().appendingPathComponent("s.sqlite").path))
    let old = Date().addingTimeInterval(-400 * 86400)
    let done = try store.beginWrite(Self.record("candidate.create", at: old))
    try store.endWrite(AuditEnding(id: done, outcome: "ok"))
    let unknown = try store.beginWrite(Self.record("candidate.create", at: old))
    let recent = try store.beginWrite(Self.record("candidate.create"))
    try store.pruneAudit(before: Date().addingTimeInterval(-StateStore.auditKept))
    #expect(try store.audit(AuditFilter()).map(\.id) == [recent, unknown])
  }

  /// An apply's claim on its plan: one run at a time; taken over when it ran out or its process is gone.
  @Test func aPlanIsClaimedByOneApplyAtATime() throws {
    let store = try FreshState.open(FreshState.make(sqlite: scratch().appendingPathComponent("s.sqlite").path))
    let now = Date()
    try store.savePlan(StoredPlan(id: "plan-000000000001", createdAt: now, body: "{}"))
    let later = now.addingTimeInterval(30)
    #expect(try store.claimPlan("plan-000000000001", run: "a", owner: "h:1", until: later, now: now) { _ in false } == nil)
    #expect(try store.claimPlan("plan-000000000001", run: "a", owner: "h:1", until: later, now: now) { _ in false } == nil)
    let held = try store.claimPlan("plan-000000000001", run: "b", owner: "h:2", until: later, now: now) { _ in false }
    #expect(held?.run == "a" && held?.owner == "h:1")
    // Its process is gone: taken over at once.
    #expect(try store.claimPlan("plan-000000000001", run: "b", owner: "h:2", until: later, now: now) { $0 == "h:1" } == nil)
    // Run out: taken over.
    #expect(try store.claimPlan("plan-000000000001", run: "c", owner: "h:3", until: later, now: later.addingTimeInterval(1)) { _ in false } == nil)
    try store.releasePlan("plan-000000000001", run: "c")
    #expect(try store.claimPlan("plan-000000000001", run: "d", owner: "h:4", until: later, now: now) { _ in false } == nil)
  }

  /// Runs started together each open the new file and migrate it: every one gets a working store.
  @Test func processesOpeningANewFileTogetherAllGetIt() throws {
    let path = try scratch().appendingPathComponent("together.sqlite").path
    let opened = Mutex(0)
    DispatchQueue.concurrentPerform(iterations: 8) { _ in
      if (try? SQLiteEngine(path: path)) != nil { opened.withLock { $0 += 1 } }
    }
    #expect(opened.withLock { $0 } == 8)
  }
}
