import AshbyFake
import AshbyPostgres
import AshbyScheduler
import AshbyState
import Foundation
import AshbyTestSupport
import Synchronization
import Testing

/// PostgreSQL goes away for ten seconds (`pg_ctl stop -m fast`, then start)
/// while daemons take deliveries and runs end: no run is done twice.
/// A cluster of the test's own (`scripts/pg-cluster`), so that its outage
/// touches no other suite. Counted at the fake: one candidate per delivery.
@Suite(.serialized, .enabled(if: PostgresServer.installed, "needs PostgreSQL's server (apt-get install postgresql)"))
struct StateOutageTests {
  /// A throwaway cluster: its URL and password, paused and resumed at will.
  final class Cluster: Sendable {
    let folder: String
    let url: String
    let password: String

    init() async throws {
      folder = try scratch().appendingPathComponent("pg").path
      let out = try await Self.script(["start", folder])
      var found: [String: String] = [:]
      for line in out.split(separator: "\n") {
        let parts = line.replacingOccurrences(of: "export ", with: "").split(separator: "=", maxSplits: 1)
        if parts.count == 2 { found[String(parts[0])] = String(parts[1]) }
      }
      url = try #require(found["ASHBY_TEST_POSTGRES"])
      password = try #require(found["PGPASSWORD"])
    }

    /// The cluster's state, as the tests read it.
    func store() throws -> StateStore {
      StateStore(engine: try PostgresEngine(try PostgresLocation(url), passwordCommand: "echo \(password)"))
    }
    /// A hooks daemon on this cluster whose hook `mark` runs `script`.
    func daemon(running script: String) async throws -> HookDaemon {
      try await HookDaemon(
        schedule: StateOutageTests.schedule, scripts: ["mark.lua": script],
        args: ["--state", url, "--lease", "\(StateOutageTests.lease)"], extraEnvironment: ["PGPASSWORD": password]
      ).ready()
    }
    func pause() async throws { _ = try await Self.script(["pause", folder]) }
    func resume() async throws { _ = try await Self.script(["resume", folder]) }
    func stop() async { _ = try? await Self.script(["stop", folder]) }

    static func script(_ args: [String]) async throws -> String {
      let process = Process()
      process.executableURL = packageRoot.appendingPathComponent("scripts/pg-cluster")
      process.arguments = args
      // A file, not a pipe: the server pg_ctl leaves running would hold a pipe open.
      let out = try scratch().appendingPathComponent("pg-cluster.out")
      _ = FileManager.default.createFile(atPath: out.path, contents: nil)
      process.standardOutput = try FileHandle(forWritingTo: out)
      try process.run()
      try await exited(process)
      let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
      guard process.terminationStatus == 0 else { throw HookTestError("pg-cluster \(args[0]) failed") }
      return text
    }
  }

  /// Longer than the outage, so a run under way keeps its delivery through it;
  /// short enough that a run whose end was lost would run again within the test.
  static let lease = 30

  final class Tally: Sendable {
    let acknowledged = Mutex<[String]>([])
    let refused = Mutex(0)
  }

  /// The stop tests' hook `mark`, with a script that naps before it writes.
  static let schedule = DaemonStopTests.schedule

  static func mark(nap: Double) -> String {
    """
    local payload = ...
    ashby.sleep(\(nap))
    ashby.create_candidate{ first_name = "Hook", last_name = "Mark", email = payload.webhookActionId .. "@example.com" }
    """
  }

  @Test func twoDaemonsAHundredDeliveriesAndARestartInTheMiddleRunEachOnce() async throws {
    let cluster = try await Cluster()
    let shared = try await FakeFixture.start()
    var daemons: [HookDaemon] = []
    for i in 0..<2 {
      daemons.append(
        try await HookDaemon(
          schedule: Self.schedule, scripts: ["mark.lua": Self.mark(nap: 0.2)], args: ["--state", cluster.url, "--lease", "\(Self.lease)"],
          extraEnvironment: [
            "PGPASSWORD": cluster.password, "ASHBY_LUA_HOST": "host-\(i)",
            "ASHBY_BASE_URL": shared.fake.baseURL.absoluteString,
          ]
        ).ready())
    }
    let tally = Tally()
    let targets = daemons
    let sender = Task {
      await withTaskGroup(of: Void.self) { group in
        for lane in 0..<4 {
          group.addTask {
            for n in 0..<25 {
              let id = UUID().uuidString
              let d = targets[(lane + n) % 2]
              // Sent again until acknowledged, as Ashby does (here within seconds, not minutes).
              for _ in 0..<200 {
                if let answer = try? await d.deliver("mark", HookDaemon.body(id: id)), answer.status == 200 {
                  tally.acknowledged.withLock { $0.append(id) }
                  break
                }
                tally.refused.withLock { $0 += 1 }
                try? await Task.sleep(for: .milliseconds(200))
              }
              try? await Task.sleep(for: .milliseconds(250))
            }
          }
        }
      }
    }
    try await Task.sleep(for: .seconds(2))
    try await cluster.pause()
    try await Task.sleep(for: .seconds(10))
    try await cluster.resume()
    let back = Date()
    await sender.value
    let ids = tally.acknowledged.withLock { $0 }
    #expect(ids.count == 100, "\(ids.count) of 100 acknowledged")
    #expect(tally.refused.withLock { $0 } > 0, "the outage refused nothing: it did not happen during the deliveries")
    let fake = shared.fake
    #expect(
      await eventually(120) { ids.allSatisfy { fake.candidates(withEmail: "\($0)@example.com") >= 1 } },
      "\(daemons.map(\.log).joined(separator: "\n=====\n").suffix(4000))")
    // A run whose end was not recorded would run again once its lease ran out.
    try await Task.sleep(for: .seconds(max(2, back.addingTimeInterval(Double(Self.lease) + 5).timeIntervalSinceNow)))
    let counts = ids.map { fake.candidates(withEmail: "\($0)@example.com") }
    #expect(counts.allSatisfy { $0 == 1 }, "runs per delivery: \(Dictionary(grouping: counts, by: { $0 }).mapValues(\.count))")
    for d in daemons { await d.stop() }
    await shared.fake.stop()
    await cluster.stop()
  }

  @Test func aRunThatEndsWhileTheStateIsDownIsRecordedOnceItIsBack() async throws {
    let cluster = try await Cluster()
    // It writes first (its audit row needs the state), then naps into the outage and ends there.
    let writeThenNap = """
      local payload = ...
      ashby.create_candidate{ first_name = "Hook", last_name = "Mark", email = payload.webhookActionId .. "@example.com" }
      ashby.sleep(3)
      """
    let d = try await cluster.daemon(running: writeThenNap)
    let id = UUID().uuidString
    #expect(try await d.deliver("mark", HookDaemon.body(id: id)).status == 200)
    let history = try cluster.store()
    #expect(await eventually(30) { try history.runs(hook: "mark").first?.status == .running })
    #expect(await eventually(30) { d.fake.fake.candidates(withEmail: "\(id)@example.com") == 1 })
    try await cluster.pause()
    // Readiness follows the state; liveness does not (a database outage must not restart the pod).
    #expect(await eventuallyAsync(10) { try await d.deliver("/readyz", Data(), method: "GET").status == 503 })
    #expect(try await d.deliver("", Data(), method: "GET").status == 200)
    // The run ends (its nap, 3 s) while the server is down (10 s).
    try await Task.sleep(for: .seconds(9))
    #expect(d.fake.fake.candidates(withEmail: "\(id)@example.com") == 1)
    try await cluster.resume()
    #expect(await eventuallyAsync(30) { try await d.deliver("/readyz", Data(), method: "GET").status == 200 })
    #expect(await eventually(60) { try history.runs(hook: "mark").first?.status == .ok }, "\(d.log)")
    try await Task.sleep(for: .seconds(Double(Self.lease) + 5))
    let rows = try history.runs(hook: "mark")
    #expect(rows.count == 1, "\(rows.map { "\($0.status): \($0.error ?? "")" })")
    #expect(d.fake.fake.candidates(withEmail: "\(id)@example.com") == 1)
    #expect(d.log.contains("recorded after"), "\(d.log)")
    await d.stop()
    await cluster.stop()
  }
}

extension StateOutageTests {
  /// A scheduled run's write while the state is down waits for it (its audit row first), and goes out once
  /// it is back: exactly once.
  @Test func aScheduledWriteWaitsOutTheOutage() async throws {
    let cluster = try await Cluster()
    let d = try await cluster.daemon(running: Self.mark(nap: 1))
    let id = UUID().uuidString
    #expect(try await d.deliver("mark", HookDaemon.body(id: id)).status == 200)
    let history = try cluster.store()
    #expect(await eventually(30) { try history.runs(hook: "mark").first?.status == .running })
    try await cluster.pause()
    try await Task.sleep(for: .seconds(8))
    #expect(d.fake.fake.candidates(withEmail: "\(id)@example.com") == 0)  // not sent: no row could be stored
    try await cluster.resume()
    #expect(await eventually(60) { try history.runs(hook: "mark").first?.status == .ok }, "\(d.log)")
    #expect(d.fake.fake.candidates(withEmail: "\(id)@example.com") == 1)
    #expect(try history.audit(AuditFilter(hook: "mark")).map(\.outcome) == ["ok"])
    #expect(d.log.contains("it waits for the state"), "\(d.log)")
    await d.stop()
    await cluster.stop()
  }

  /// The audit log on PostgreSQL: a write is recorded there (and the password is not); with the server
  /// stopped, the next write is refused before it is sent (kind `state`), and reads go on.
  @Test func aWriteIsRefusedWhilePostgreSQLIsStopped() async throws {
    let cluster = try await Cluster()
    let f = try await FakeFixture.start()
    let env = f.env.merging(["PGPASSWORD": cluster.password]) { $1 }
    let path = try script(
      """
      print(#ashby.list_jobs{}.jobs > 0)
      local ok, err = pcall(ashby.create_candidate, { first_name = "Pg", last_name = "Written", email = (...) })
      print(ok, ok and "" or err.kind)
      """)
    let up = try await run(["run", "--state", cluster.url, path, "up@example.com"], env: env)
    #expect(up.stdout == "true\ntrue\t\n", "\(up.all)")
    let rows = try cluster.store().audit(AuditFilter())
    #expect(rows.count == 1 && rows.first?.outcome == "ok", "\(rows)")
    #expect(!rows.map { "\($0)" }.joined().contains(cluster.password))
    await cluster.stop()
    let down = try await run(["run", "--state", cluster.url, path, "down@example.com"], env: env)
    #expect(down.stdout == "true\nfalse\tstate\n", "\(down.all)")
    #expect(f.fake.candidates(withEmail: "down@example.com") == 0)
    #expect(f.fake.candidates(withEmail: "up@example.com") == 1)
    await f.stop()
  }
}

enum PostgresServer {
  static var installed: Bool {
    (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql"))?.isEmpty == false
  }
}
