import AshbyFake
import AshbyScheduler
import AshbySignature
import AshbyState
import AshbyWebhook
import Foundation
import AshbyTestSupport
import Testing

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// Three daemons, as if on three hosts (`ASHBY_LUA_HOST`), sharing one
/// PostgreSQL state and one fake Ashby: a job that fires every second (a
/// `* * * * *` job on a clock sixty times fast) and a hook that 100
/// deliveries reach through all three. One daemon is killed while it runs a
/// delivery; another is stopped (SIGSTOP) past its lease while it runs the
/// job, then continued. Counted at the fake: every delivery wrote once, no
/// fire wrote twice, every fire has one row.
@Suite(.serialized, .enabled(if: FreshState.postgres != nil, "needs ASHBY_TEST_POSTGRES (scripts/pg-cluster)"))
struct ThreeDaemonTests {
  // Schedule seconds: 5 s of real time at speed 60, long enough that a loaded
  // machine renews in time (a lease lost to load is a second run: at least once).
  static let lease = 300.0
  static let speed = 60.0

  final class Cluster: @unchecked Sendable {
    let fake: FakeFixture
    let home: URL
    let state: String
    let secret = "three-daemon-secret"
    let candidate: String
    var daemons: [Process] = []
    var ports: [Int] = []
    var logs: [URL] = []

    init() async throws {
      fake = try await FakeFixture.start()
      home = try scratch()
      state = try FreshState.database()
      candidate = try #require(fake.fake.seedIDs("candidate").first)
      let work = home.appendingPathComponent("work")
      try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
      try [
        jobTable("tick", script: "tick.lua", cron: "* * * * *", #"grace = "1d""#, #"args = ["\#(candidate)"]"#),
        hookTable("note", events: ["applicationSubmit"], script: "note.lua", secret: #"secret_env = "HOOK_SECRET""#),
      ].joined(separator: "\n\n").write(to: work.appendingPathComponent("schedules.toml"), atomically: true, encoding: .utf8)
      // Each waits before it writes, so that a daemon killed or stopped while it runs one catches it mid-run.
      try """
        ashby.sleep(0.3)
        ashby.call("candidate.createNote", { candidate_id = arg[1], note = "tick" })
        """.write(to: work.appendingPathComponent("tick.lua"), atomically: true, encoding: .utf8)
      try """
        ashby.sleep(2)
        ashby.call("candidate.createNote", {
          candidate_id = ashby.event.data.candidateId, note = "delivery " .. ashby.event.webhook_action_id })
        """.write(to: work.appendingPathComponent("note.lua"), atomically: true, encoding: .utf8)
      let origin = Date().timeIntervalSince1970
      for i in 0..<3 {
        // One shared state for the three (ASHBY_LUA_STATE), each its own host name and state folder.
        let environment = fake.env.merging([
          "HOOK_SECRET": secret, StateVariable.name: state, "ASHBY_LUA_HOST": "host-\(i)",
          "ASHBY_LUA_CLOCK": "\(origin):\(ThreeDaemonTests.speed)",
          "XDG_STATE_HOME": home.appendingPathComponent("state-\(i)").path,
        ]) { _, ours in ours }
        let (process, log) = try launch(
          [
            "schedule", "run", "--file", work.appendingPathComponent("schedules.toml").path, "--listen", "127.0.0.1:0",
            "--lease", String(Self.leaseArgument), "--stop-grace", "1",
          ], home: home, log: "daemon-\(i).log", environment: environment)
        daemons.append(process)
        logs.append(log)
      }
      for log in logs { ports.append(try await Self.port(in: log)) }
    }

    static var leaseArgument: Int { Int(ThreeDaemonTests.lease) }

    deinit {
      for process in daemons where process.isRunning {
        kill(process.processIdentifier, SIGCONT)
        kill(process.processIdentifier, SIGKILL)
      }
    }

    static func port(in log: URL) async throws -> Int {
      let deadline = Date().addingTimeInterval(60)
      while Date() < deadline {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        if let range = text.range(of: "hooks: listening on http://127.0.0.1:"),
          let port = Int(text[range.upperBound...].prefix { $0.isNumber })
        {
          return port
        }
        try await Task.sleep(for: .milliseconds(50))
      }
      throw HookTestError("a daemon did not start listening:\n\((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
    }

    func log(_ i: Int) -> String { (try? String(contentsOf: logs[i], encoding: .utf8)) ?? "" }
    var allLogs: String { (0..<3).map { "--- daemon \($0)\n" + log($0) }.joined(separator: "\n") }

    /// Delivers as Ashby does: signed, and again (same id) to another daemon when one does not answer 2xx.
    func deliver(_ id: String, first: Int) async -> Bool {
      let body = Data(#"{"webhookActionId":"\#(id)","action":"applicationSubmit","data":{"candidateId":"\#(candidate)"}}"#.utf8)
      for attempt in 0..<6 {
        let i = (first + attempt) % 3
        guard let url = URL(string: "http://127.0.0.1:\(ports[i])/hooks/note") else { return false }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = body
        request.timeoutInterval = 10
        for field in SignedDelivery(body: body, secret: secret).headers {
          request.setValue(field.value, forHTTPHeaderField: field.name)
        }
        if let (_, response) = try? await URLSession.shared.data(for: request),
          (response as? HTTPURLResponse)?.statusCode == 200
        {
          return true
        }
        try? await Task.sleep(for: .milliseconds(100))
      }
      return false
    }

    func store() throws -> StateStore { try FreshState.open(state) }

    /// A run of `job` (or hook) now running on daemon `i`.
    func running(_ job: String, on i: Int) -> RunRecord? {
      ((try? store().runs(job: job, limit: 50)) ?? []).first { $0.status == .running && $0.owner.hasPrefix("host-\(i):") }
    }

    /// Every run of `job` running on daemon `i` now.
    func runningAll(_ job: String, on i: Int) -> [RunRecord] {
      ((try? store().runs(job: job, limit: 50)) ?? []).filter { $0.status == .running && $0.owner.hasPrefix("host-\(i):") }
    }

    func notes(_ text: String) -> Int { fake.fake.noteContents.filter { $0 == text }.count }
  }

  @Test func everyFireAndEveryDeliveryOnceThroughAKillAndAStop() async throws {
    let c = try await Cluster()
    let ids = (0..<100).map { "delivery-\($0)-\(UUID().uuidString.prefix(8))" }
    let store = try c.store()

    // 100 deliveries, to the three in turn, five at a time; daemon 0 is killed while it runs one.
    var killed: RunRecord?
    var undelivered: [String] = []
    for batch in stride(from: 0, to: ids.count, by: 5) {
      let sent = await withTaskGroup(of: (String, Bool).self) { group in
        for (k, id) in ids[batch..<min(batch + 5, ids.count)].enumerated() {
          group.addTask { (id, await c.deliver(id, first: (batch + k) % 3)) }
        }
        var answers: [(String, Bool)] = []
        for await answer in group { answers.append(answer) }
        return answers
      }
      undelivered += sent.filter { !$0.1 }.map(\.0)
      // Runs still in their nap: no note of theirs written yet (killed after its write, a run would
      // rightly count twice: once by itself, once where it runs again).
      if killed == nil, batch >= 20, let run = c.running("note", on: 0),
        c.runningAll("note", on: 0).allSatisfy({ r in r.event?.split(separator: " ").last.map { c.notes("delivery \($0)") == 0 } ?? false })
      {
        kill(c.daemons[0].processIdentifier, SIGKILL)
        await ended(c.daemons[0], within: 30, what: "daemon 0, killed")
        killed = run
      }
      try await Task.sleep(for: .milliseconds(150))
    }
    #expect(undelivered.isEmpty, "deliveries no daemon acknowledged: \(undelivered)")
    if killed == nil {  // daemon 0 had no delivery running when looked at: kill it mid-tick instead
      _ = await eventually(20) { c.running("tick", on: 0) != nil || c.running("note", on: 0) != nil }
      killed = c.running("note", on: 0) ?? c.running("tick", on: 0)
      kill(c.daemons[0].processIdentifier, SIGKILL)
      await ended(c.daemons[0], within: 30, what: "daemon 0, killed")
    }
    #expect(killed != nil, "daemon 0 was never seen running anything")
    let delivered = await eventually(120) { try store.pendingDeliveries().isEmpty && c.fake.fake.noteContents.filter { $0.hasPrefix("delivery ") }.count >= 100 }
    #expect(delivered, "deliveries still waiting: \((try? store.pendingDeliveries().count) ?? -1)\n\(c.allLogs)")

    // Daemon 1, stopped past its lease while it runs the job, then continued.
    // A tick runs for well under a second: a stop that lands after its end is recorded catches nothing, so
    // it counts only when the run is still running once the daemon is stopped (it cannot change it then).
    var paused: RunRecord?
    for _ in 0..<10 where paused == nil {
      let caught = await eventually(30) { c.running("tick", on: 1) != nil }
      guard caught, let seen = c.running("tick", on: 1) else { break }
      kill(c.daemons[1].processIdentifier, SIGSTOP)
      try await Task.sleep(for: .milliseconds(200))
      if try store.run(id: seen.id ?? 0)?.status == .running { paused = seen } else { kill(c.daemons[1].processIdentifier, SIGCONT) }
    }
    #expect(paused != nil, "daemon 1 was never stopped while it ran the job")
    try await Task.sleep(for: .seconds(11))  // over two leases
    kill(c.daemons[1].processIdentifier, SIGCONT)
    let fenced = await eventually(30) { c.log(1).contains("not recorded: another daemon took the job over") }
    #expect(fenced, "daemon 1 did not find itself fenced off:\n\(c.log(1))")
    let fires = await eventually(60) {
      Set(try store.runs(job: "tick", limit: 10000).compactMap(\.scheduledFor)).count >= 25
    }
    #expect(fires)
    for process in c.daemons where process.isRunning { process.interrupt() }
    for (i, process) in c.daemons.enumerated() { await ended(process, within: 60, what: "daemon \(i) (its log:\n\(c.log(i).suffix(3000)))") }

    // Every delivery: one write at the fake, one ok row.
    let hookRuns = try store.runs(hook: "note", limit: 10000)
    for id in ids {
      #expect(c.notes("delivery \(id)") == 1, "\(id) wrote \(c.notes("delivery \(id)")) times")
      #expect(hookRuns.filter { $0.status == .ok && $0.event?.hasSuffix(id) == true }.count == 1, "\(id)")
    }
    if let killed, killed.job == "note", let event = killed.event {
      // The killed daemon's delivery ran again elsewhere; its own row says it was cut short.
      #expect(try store.run(id: killed.id ?? 0)?.status == .interrupted)
      #expect(hookRuns.contains { $0.status == .ok && $0.event == event && !$0.owner.hasPrefix("host-0:") })
    }

    // Every fire: one row; none wrote twice (the writes are the ok runs', plus at
    // most one each for the runs cut short by the kill and the stop).
    let tickRuns = try store.runs(job: "tick", limit: 10000)
    let byFire = Dictionary(grouping: tickRuns.filter { $0.scheduledFor != nil }, by: { $0.scheduledFor ?? .distantPast })
    #expect(byFire.count >= 25)
    #expect(byFire.values.allSatisfy { $0.count == 1 }, "fires with more than one row: \(byFire.filter { $0.value.count > 1 })")
    let ok = tickRuns.filter { $0.status == .ok }.count
    let cut = tickRuns.filter { $0.status == .interrupted }.count
    #expect(ok >= 10)
    #expect(c.notes("tick") >= ok && c.notes("tick") <= ok + cut, "\(c.notes("tick")) writes for \(ok) ok and \(cut) cut-short runs")
    for run in tickRuns where run.status != .ok {
      #expect(run.status == .interrupted || run.status == .skipped, "\(run)")
      // Skipped only by the job's own overlap rule: its run (on this daemon or another) was still going.
      let overlapped = ["another daemon is running it", "the previous run was still going"]
      if run.status == .skipped { #expect(overlapped.contains { run.error?.contains($0) == true }, "\(run)") }
    }
    // The stopped daemon's run: ended by its successor, and not written over when it came back.
    if let paused {
      #expect(try store.run(id: paused.id ?? 0)?.status == .interrupted)
    }
    #expect(!c.allLogs.contains(c.secret))
    print(
      "three daemons: \(byFire.count) fires (\(ok) ok, \(cut) cut short, \(tickRuns.count - ok - cut) skipped), \(c.notes("tick")) tick writes; \(ids.count) deliveries, \(hookRuns.count) hook rows; killed mid-\(killed?.job ?? "nothing")"
    )
  }
}
