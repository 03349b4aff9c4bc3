import AshbyScheduler
import AshbyState
import AshbyWebhook
import Foundation
import AshbyTestSupport
import Testing

/// `schedule migrate-state`: a SQLite history moved into PostgreSQL, whole,
/// once, and only while no daemon runs.
@Suite(.enabled(if: FreshState.postgres != nil, "needs ASHBY_TEST_POSTGRES (scripts/pg-cluster)"))
struct MigrateStateTests {
  @Test func aSQLiteHistoryMovesToPostgresWholeAndOnce() async throws {
    let f = try await FakeFixture.start()
    let s = try ScheduleTests.Setup(
      schedule: [
        jobTable("hire", script: "hire.lua", cron: "0 9 * * mon-fri", #"args = ["migrate@example.com"]"#),
        hookTable("welcome", events: ["applicationSubmit"], script: "hire.lua", secret: "unsigned = true"),
      ].joined(separator: "\n\n"))
    let sqlite = s.home.appendingPathComponent("old.sqlite").path
    for _ in 0..<2 {
      let r = try await run(["schedule", "trigger", "hire", "--file", s.file, "--state", sqlite], env: f.env, home: s.home)
      #expect(r.status == 0, "\(r.stderr)")
    }
    // In-process connections to the SQLite file are opened only between runs of the binary: `run` reads
    // every file under the home for the key, and closing any descriptor of the file drops this process's
    // POSIX locks on it, which SQLite's connection here would not survive.
    var old: StateStore? = try StateStore(path: sqlite)
    let when = Date(timeIntervalSince1970: 1_790_000_000)
    try old?.setLastFire("hire", when)
    _ = try old?.claimFire("hire", when, owner: "a-daemon")
    _ = try old?.accept(
      [
        WebhookDelivery(
          hook: "welcome", webhookActionId: "e-1", action: "applicationSubmit", receivedAt: when, body: Data("{}".utf8))
      ],
      capacity: 10)
    try old?.remember(WebhookDelivery(hook: "welcome", webhookActionId: "e-2", action: "ping", receivedAt: when, body: Data()))
    try old?.saveSyncTokens(["application.list": "tok-1"], state: "hire")
    let plan = StoredPlan(id: "plan-0123456789ab", createdAt: when, body: "{\"format\": \"ashby-lua plan 1\"}", appliedAt: when, appliedRun: "r-1")
    try old?.savePlan(plan)
    _ = try old?.markApplied(plan.id, run: "r-1", at: when)
    let before = try old?.runs(limit: 100) ?? []
    old = nil

    let url = try FreshState.database()
    // A target whose run ids have moved on (a run inserted and forgotten): the copy renumbers every run.
    let used = try FreshState.open(url)
    _ = try used.insert(
      RunRecord(
        job: "gone", trigger: .manual, scheduledFor: nil, startedAt: when, endedAt: when, status: .ok, attempts: 1,
        writes: 0, error: nil, owner: "a-daemon"))
    try used.prune("gone", keepingRuns: 0, endedAfter: nil)
    let moved = try await run(
      ["schedule", "migrate-state", "--file", s.file, "--state", sqlite, "--to", url], env: f.env, home: s.home)
    #expect(moved.status == 0, "\(moved.stderr)")
    #expect(
      moved.stdout.contains("copied 2 runs, 1 job fire mark, 1 fire claim, 2 deliveries, 1 sync token, 2 audit rows and 1 plan"),
      "\(moved.stdout)")
    #expect(!moved.all.contains(ProcessInfo.processInfo.environment["PGPASSWORD"] ?? "no password here"))

    let new = try FreshState.open(url)
    let after = try new.runs(limit: 100)
    #expect(after.map(\.status) == before.map(\.status))
    #expect(after.map(\.job) == before.map(\.job))
    #expect(after.map(\.writes) == before.map(\.writes))
    #expect(after.map(\.output) == before.map(\.output))
    #expect(zip(after, before).allSatisfy { abs($0.startedAt.timeIntervalSince($1.startedAt)) < 0.01 })
    #expect(try new.lastFire("hire").map { abs($0.timeIntervalSince(when)) < 0.01 } == true)
    #expect(try new.claimFire("hire", when) == false)  // still claimed: no daemon runs that fire again
    #expect(try new.pendingDeliveries().map(\.delivery.webhookActionId) == ["e-1"])
    #expect(try new.accept(
      [WebhookDelivery(hook: "welcome", webhookActionId: "e-2", action: "ping", receivedAt: when, body: Data())], capacity: 10)
      .first.map { if case .duplicate = $0 { true } else { false } } == true)
    #expect(try new.syncTokens(state: "hire") == ["application.list": "tok-1"])
    // The plans came along, still applied: a copied state does not apply one twice.
    let copiedPlan = try #require(try new.plan(plan.id))
    #expect(copiedPlan.body == plan.body && copiedPlan.appliedRun == "r-1" && copiedPlan.appliedAt != nil)
    // The audit log came along: each run's write, in the runs' names.
    let audit = try new.audit(AuditFilter(job: "hire"))
    #expect(audit.map(\.endpoint) == ["candidate.create", "candidate.create"] && audit.allSatisfy { $0.outcome == "ok" })
    // ...each still naming its run, whose id the copy renumbered.
    #expect(Set(audit.map(\.runID)) == Set(after.compactMap { $0.id.map(String.init) }), "\(audit.map(\.runID))")
    #expect(Set(after.compactMap(\.id)) != Set(before.compactMap(\.id)))

    // The history reads the same through the binary, and the next run goes on from there.
    let listed = try await run(["schedule", "history", "--state", url], env: f.env, home: s.home)
    #expect(listed.status == 0 && listed.stdout.contains("hire"), "\(listed.stderr)")
    let next = try await run(["schedule", "trigger", "hire", "--file", s.file, "--state", url], env: f.env, home: s.home)
    #expect(next.status == 0, "\(next.stderr)")
    #expect(try new.runs(job: "hire").count == 3)

    // Once only: the target has runs now.
    let again = try await run(
      ["schedule", "migrate-state", "--file", s.file, "--state", sqlite, "--to", url], env: f.env, home: s.home)
    #expect(again.status == 2 && again.stderr.contains("has 3 runs already"), "\(again.stderr)")

    // Not while a daemon is running something: nothing is written.
    _ = try StateStore(path: sqlite).insert(
      RunRecord(
        job: "hire", trigger: .manual, scheduledFor: nil, startedAt: Date(), endedAt: nil, status: .running, attempts: 1,
        writes: 0, error: nil, owner: "busy-daemon"))
    let empty = try FreshState.database()
    let busy = try await run(
      ["schedule", "migrate-state", "--file", s.file, "--state", sqlite, "--to", empty], env: f.env, home: s.home)
    #expect(busy.status == 2 && busy.stderr.contains("stop every daemon first"), "\(busy.all)")
    #expect(try FreshState.open(empty).runs().isEmpty)
    await f.fake.stop()
  }

  @Test func aWrongPasswordOrServerSaysSoWithoutThePassword() async throws {
    let admin = try #require(FreshState.postgres)
    var url = try #require(URLComponents(string: admin))
    url.password = "wrong-password-7f3a"
    let r = try await run(["schedule", "history", "--state", url.string ?? ""])
    #expect(r.status == 2)
    #expect(r.stderr.contains("cannot open the state postgres://"), "\(r.stderr)")
    #expect(!r.all.contains("wrong-password-7f3a"))
    let none = try await run(["schedule", "history", "--state", admin], env: ["PGPASSWORD": ""])
    #expect(none.status == 2 && none.stderr.contains("the server wants a password"), "\(none.stderr)")
    let refused = try await run(["schedule", "history", "--state", "postgres://ashby@127.0.0.1:1/x?sslmode=disable"])
    #expect(refused.status == 2 && refused.stderr.contains("Connection refused"), "\(refused.stderr)")
    let bad = try await run(["schedule", "history", "--state", "postgres://ashby@127.0.0.1/x?sslmode=maybe"])
    #expect(bad.status == 2 && bad.stderr.contains("sslmode must be"), "\(bad.stderr)")
  }
}
