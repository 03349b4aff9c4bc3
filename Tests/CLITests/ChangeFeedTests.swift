import AshbyFake
import AshbyScheduler
import Foundation
import AshbyTestSupport
import Testing

/// `ashby.changes`: only what changed since the last successful run, the
/// token kept per state and endpoint, and a full sync when Ashby refuses it.
@Suite(.serialized) struct ChangeFeedTests {
  static let feed = """
    local n = 0
    local options = { on_resync = function(info) print("resync " .. info.endpoint .. " " .. info.reason) end }
    if arg[1] == "skip" then options.on_first = "skip" end
    for app in ashby.changes("application.list", {}, options) do
      assert(app.id)
      n = n + 1
    end
    print("changes " .. n)
    if arg[1] == "fail" then error("failed after reading the changes") end
    """

  struct Feed {
    let fake: FakeFixture
    let home: URL
    let script: String
    let maker: String

    init() async throws {
      fake = try await FakeFixture.start()
      home = try scratch()
      script = home.appendingPathComponent("feed.lua").path
      try ChangeFeedTests.feed.write(toFile: script, atomically: true, encoding: .utf8)
      maker = home.appendingPathComponent("new.lua").path
      try HookLoopTests.newApplication.write(toFile: maker, atomically: true, encoding: .utf8)
    }

    /// `run --feed NAME feed.lua ARG`: what it printed, and its status.
    func read(_ state: String = "feed", _ arg: String = "") async throws -> (Int32, String) {
      let r = try await run(["run", "--feed", state, script] + (arg.isEmpty ? [] : [arg]), env: fake.env, home: home)
      return (r.status, r.stdout + r.stderr)
    }

    func newApplication() async throws {
      let r = try await run(["run", maker, "feed-\(UUID().uuidString.prefix(6))@example.com"], env: fake.env, home: home)
      #expect(r.status == 0, "\(r.stderr)")
    }
  }

  @Test func twoRunsSeeOnlyNewChangesAndAFailedRunDoesNotMoveOn() async throws {
    let f = try await Feed()
    let all = f.fake.fake.applicationCount
    #expect(try await f.read().1.contains("changes \(all)"))
    #expect(try await f.read().1.contains("changes 0"))
    try await f.newApplication()
    #expect(try await f.read().1.contains("changes 1"))
    #expect(try await f.read().1.contains("changes 0"))
    // A run that fails after reading leaves the token where it was.
    try await f.newApplication()
    let failed = try await f.read("feed", "fail")
    #expect(failed.0 != 0 && failed.1.contains("changes 1"))
    #expect(try await f.read().1.contains("changes 1"))
    #expect(try await f.read().1.contains("changes 0"))
    // Another state has its own place.
    #expect(try await f.read("other").1.contains("changes \(all + 2)"))
    await f.fake.fake.stop()
  }

  @Test func anExpiredTokenFallsBackToAFullSyncAndSaysSo() async throws {
    let f = try await Feed()
    let all = f.fake.fake.applicationCount
    _ = try await f.read()
    f.fake.fake.expireSyncTokens()
    let again = try await f.read()
    #expect(again.0 == 0)
    #expect(again.1.contains("resync application.list sync_token_expired") && again.1.contains("changes \(all)"), "\(again.1)")
    #expect(try await f.read().1.contains("changes 0"))
    await f.fake.fake.stop()
  }

  @Test func onFirstSkipSeedsTheTokenWithoutYielding() async throws {
    let f = try await Feed()
    #expect(try await f.read("skipper", "skip").1.contains("changes 0"))
    try await f.newApplication()
    #expect(try await f.read("skipper", "skip").1.contains("changes 1"))
    await f.fake.fake.stop()
  }

  @Test func theSchedulerKeepsTheTokenPerJobAndOnlyForOkRuns() async throws {
    let f = try await Feed()
    let s = try ScheduleTests.Setup(
      schedule: """
        [[job]]
        name = "feed"
        script = "\(f.script)"
        cron = "@daily"

        [[job]]
        name = "failing-feed"
        script = "\(f.script)"
        cron = "@daily"
        args = ["fail"]
        """)
    let all = f.fake.fake.applicationCount
    let first = try await run(["schedule", "trigger", "feed", "--file", s.file], env: f.fake.env, home: s.home)
    #expect(first.stdout.contains("changes \(all)"), "\(first.stdout)\(first.stderr)")
    let second = try await run(["schedule", "trigger", "feed", "--file", s.file], env: f.fake.env, home: s.home)
    #expect(second.stdout.contains("changes 0"))
    for _ in 0..<2 {
      let failing = try await run(["schedule", "trigger", "failing-feed", "--file", s.file], env: f.fake.env, home: s.home)
      #expect(failing.status != 0 && failing.stdout.contains("changes \(all)"), "\(failing.stdout)")
    }
    let history = try FreshState.open(s.historyPath)
    #expect(try history.syncTokens(state: "feed")["application.list"] != nil)
    #expect(try history.syncTokens(state: "failing-feed").isEmpty)
    await f.fake.fake.stop()
  }

  @Test func changesNeedsAStateAndAFeed() async throws {
    let f = try await Feed()
    let bare = try await run(["run", f.script], env: f.fake.env, home: f.home)
    #expect(bare.status != 0 && bare.stderr.contains("run --feed NAME"), "\(bare.stderr)")
    let notAFeed = try script("for x in ashby.changes('job.info', { id = 'x' }) do end")
    let r = try await run(["run", "--feed", "x", notAFeed], env: f.fake.env, home: f.home)
    #expect(r.status != 0 && r.stderr.contains("job.info has no change feed"), "\(r.stderr)")
    let badOption = try script("for x in ashby.changes('application.list', {}, { on_frist = 'skip' }) do end")
    let o = try await run(["run", "--feed", "x", badOption], env: f.fake.env, home: f.home)
    #expect(o.status != 0 && o.stderr.contains("unknown option on_frist"), "\(o.stderr)")
    await f.fake.fake.stop()
  }
}
