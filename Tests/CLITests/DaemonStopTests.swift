import AshbyFake
import AshbyScheduler
import AshbyState
import Foundation
import AshbyTestSupport
import Synchronization
import Testing

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// How the daemon and `schedule trigger` stop, as an operator and a load
/// balancer meet them: SIGTERM under traffic, secrets in `/proc`, `kill -9`.
@Suite(.serialized) struct DaemonStopTests {
  static let schedule = hookTable("mark", script: "mark.lua")

  /// One candidate per delivery, named by its webhookActionId, then a nap:
  /// a stop finds runs in flight.
  static let mark = """
    local payload = ...
    ashby.create_candidate{ first_name = "Hook", last_name = "Mark", email = payload.webhookActionId .. "@example.com" }
    ashby.sleep(0.3)
    """

  /// The ids the daemon acknowledged (2xx), and whether the traffic should go on.
  final class Traffic: Sendable {
    let acknowledged = Mutex<[String]>([])
    let polls = Mutex<(ok: Int, failed: Int)>((0, 0))
    let running = Atomic(true)
  }

  /// GET /healthz at whatever port the daemon has now, as a readiness probe does.
  static func poll(_ d: HookDaemon, _ traffic: Traffic) async {
    while traffic.running.load(ordering: .relaxed) {
      let ok = ((try? await d.deliver("", Data(), method: "GET"))?.status == 200)
      traffic.polls.withLock { ok ? ($0.ok += 1) : ($0.failed += 1) }
      try? await Task.sleep(for: .milliseconds(10))
    }
  }

  /// Signed deliveries one after another, each sent again until acknowledged, as Ashby does.
  static func send(_ d: HookDaemon, _ traffic: Traffic) async {
    while traffic.running.load(ordering: .relaxed) {
      let id = UUID().uuidString
      while traffic.running.load(ordering: .relaxed) {
        if let answer = try? await d.deliver("mark", HookDaemon.body(id: id)), answer.status == 200 {
          traffic.acknowledged.withLock { $0.append(id) }
          break
        }
        try? await Task.sleep(for: .milliseconds(30))
      }
      try? await Task.sleep(for: .milliseconds(40))
    }
  }

  @Test func twentyStopsUnderTrafficExitZeroAndRunEveryAcknowledgedDeliveryOnce() async throws {
    let d = try await HookDaemon(
      schedule: Self.schedule, scripts: ["mark.lua": Self.mark], args: ["--stop-grace", "20", "--hook-workers", "2"]
    ).ready()
    let traffic = Traffic()
    let load = Task {
      await withTaskGroup(of: Void.self) { group in
        for _ in 0..<4 { group.addTask { await Self.poll(d, traffic) } }
        group.addTask { await Self.send(d, traffic) }
      }
    }
    var endings: [String] = []
    for _ in 0..<20 {
      try await Task.sleep(for: .milliseconds(500))
      let (reason, status) = try await d.end(with: SIGTERM)
      endings.append(reason == .exit ? "exit \(status)" : "signal \(status)")
      try await d.start()
    }
    traffic.running.store(false, ordering: .relaxed)
    await load.value
    let acknowledged = traffic.acknowledged.withLock { $0 }
    #expect(endings == Array(repeating: "exit 0", count: 20), "\(endings)\n\(d.log.suffix(3000))")
    #expect(acknowledged.count >= 20, "only \(acknowledged.count) deliveries acknowledged")
    #expect(traffic.polls.withLock { $0.ok } > 20)
    let fake = d.fake.fake
    #expect(
      await eventually(90) { acknowledged.allSatisfy { fake.candidates(withEmail: "\($0)@example.com") >= 1 } },
      "not every acknowledged delivery ran:\n\(d.log.suffix(3000))")
    let counts = acknowledged.map { fake.candidates(withEmail: "\($0)@example.com") }
    #expect(counts.allSatisfy { $0 == 1 }, "runs per delivery: \(Dictionary(grouping: counts, by: { $0 }).mapValues(\.count))")
    // With a grace longer than a run, no stop cut one short.
    let cut = d.runs("mark").filter { $0.status == .interrupted }
    #expect(cut.isEmpty, "\(cut.map { $0.error ?? "" })")
    await d.stop()
  }

  /// What each process shows in `/proc`: the daemon's and each run's
  /// environment and command line hold no key, no hook secret, no password.
  @Test func noSecretInAnyProcessEnvironmentOrCommandLine() async throws {
    let password = "pg-password-\(UUID().uuidString.prefix(8))"
    let secrets = [FakeAshby.fullKey, "hook-secret-", password]
    // A `sandbox = false` run looks in its own /proc entries and in its parent's (the daemon's).
    let peek = """
      local function read(path)
        local f = io.open(path, "rb")
        if not f then return "" end
        local text = f:read("a") or ""
        f:close()
        return text
      end
      local ppid = read("/proc/self/stat"):match("^%d+ %b() %S+ (%d+)")
      local found = {}
      for _, path in ipairs{ "/proc/self/environ", "/proc/self/cmdline", "/proc/" .. ppid .. "/environ", "/proc/" .. ppid .. "/cmdline" } do
        local text = read(path)
        for _, secret in ipairs{ \(secrets.map { "\"\($0)\"" }.joined(separator: ", ")) } do
          if text:find(secret, 1, true) then found[#found + 1] = path end
        end
      end
      print("peeked at parent " .. ppid .. ": " .. (#found == 0 and "clean" or table.concat(found, " ")))
      ashby.create_candidate{ first_name = "Peek", last_name = "Done", email = (...).webhookActionId .. "@example.com" }
      ashby.sleep(2)
      """
    let d = try await HookDaemon(
      // Two hooks, two secret variables (the support sets both to the hook secret).
      schedule: Self.schedule.replacingOccurrences(of: "mark.lua", with: "peek.lua") + "\nsandbox = false\n"
        + "[[hook]]\nname = \"other\"\nevents = [\"*\"]\nscript = \"peek.lua\"\nsecret_env = \"ASHBY_WEBHOOK_SECRET\"\n",
      scripts: ["peek.lua": peek], extraEnvironment: ["PGPASSWORD": ProcessInfo.processInfo.environment["PGPASSWORD"] ?? password]
    ).ready()
    let id = UUID().uuidString
    #expect(try await d.deliver("mark", HookDaemon.body(id: id)).status == 200)
    let daemonPID = d.pid
    let leaks: (Int32) -> [String] = { pid in
      ["environ", "cmdline"].filter { file in
        let bytes = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/\(file)"))) ?? Data()
        let text = String(decoding: bytes, as: UTF8.self)
        let pg = ProcessInfo.processInfo.environment["PGPASSWORD"] ?? password
        return (secrets + [d.secret, pg]).contains { text.contains($0) }
      }
    }
    #expect(leaks(daemonPID).isEmpty, "the daemon's /proc shows a secret in \(leaks(daemonPID))")
    // The run, while it naps: a child of the daemon.
    #expect(await eventually(30) { !Self.children(of: daemonPID).isEmpty })
    for child in Self.children(of: daemonPID) {
      #expect(leaks(child).isEmpty, "run \(child) shows a secret in \(leaks(child))")
    }
    #expect(await eventually(30) { d.runs("mark").first?.status == .ok }, "\(d.log)")
    let output = d.runs("mark").first?.output ?? ""
    #expect(output.contains(": clean") && output.contains("peeked at parent \(daemonPID)"), "\(output)")
    #expect(d.fake.fake.candidates(withEmail: "\(id)@example.com") == 1, "the run could not call Ashby with the key it was handed")
    await d.stop()
  }

  static func children(of pid: Int32) -> [Int32] {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
    return tasks.flatMap { task in
      ((try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? "")
        .split(separator: " ").compactMap { Int32($0) }
    }
  }

  /// A password in the state URL would show in `ps`: refused wherever the state is named.
  @Test func aPasswordInTheStateURLIsRefused() async throws {
    let s = try ScheduleTests.Setup(schedule: "[[job]]\nname = \"a\"\nscript = \"hire.lua\"\ncron = \"0 3 * * *\"\n")
    for args in [
      ["schedule", "run", "--file", s.file], ["schedule", "status", "--file", s.file],
      ["schedule", "trigger", "a", "--file", s.file],
    ] {
      let r = try await run(args + ["--state", "postgres://ashby:hunter2-pw@127.0.0.1:1/x"], home: s.home)
      #expect(r.status == 2 && r.stderr.contains("holds a password") && !r.all.contains("hunter2-pw"), "\(args): \(r.all)")
    }
  }

  // MARK: schedule trigger

  static let triggerSchedule = """
    [[job]]
    name = "slow"
    script = "slow.lua"
    cron = "0 3 * * *"
    sandbox = false
    """
  /// Naps while the file `slow` is in the folder.
  static let slow = """
    local f = io.open("slow")
    if f then f:close(); print("napping"); ashby.sleep(60) end
    print("ran")
    """

  func startTrigger(_ s: ScheduleTests.Setup, _ f: FakeFixture) throws -> Process {
    try launch(
      ["schedule", "trigger", "slow", "--file", s.file, "--stop-grace", "1"], home: s.home,
      log: "trigger-\(UUID().uuidString).log", environment: f.env
    ).0
  }

  /// A trigger of the job `slow`, napping: its row is `running`.
  func runningTrigger() async throws -> (FakeFixture, ScheduleTests.Setup, StateStore, Process) {
    let f = try await FakeFixture.start()
    let s = try ScheduleTests.Setup(schedule: Self.triggerSchedule)
    try Self.slow.write(to: s.work.appendingPathComponent("slow.lua"), atomically: true, encoding: .utf8)
    _ = FileManager.default.createFile(atPath: s.work.appendingPathComponent("slow").path, contents: Data())
    let history = try FreshState.open(s.historyPath)
    let trigger = try startTrigger(s, f)
    #expect(await eventually(30) { try history.runs(job: "slow").first?.status == .running })
    return (f, s, history, trigger)
  }

  @Test(arguments: [SIGTERM, SIGINT])
  func aTriggerStoppedBySignalRecordsInterruptedAndFreesItsLease(signal: Int32) async throws {
    let (f, _, history, trigger) = try await runningTrigger()
    try await Task.sleep(for: .milliseconds(500))
    let sent = Date()
    kill(trigger.processIdentifier, signal)
    try await exited(trigger)
    #expect(Date().timeIntervalSince(sent) < 10, "the trigger took \(Date().timeIntervalSince(sent)) s to stop")
    #expect(trigger.terminationReason == .exit && trigger.terminationStatus == 128 + signal)
    let rows = try history.runs(job: "slow")
    #expect(rows.count == 1 && rows.first?.status == .interrupted, "\(rows.map(\.status))")
    #expect(try history.leaseHolder("slow", now: Date()) == nil)
    await f.fake.stop()
  }

  @Test func aTriggerKilledWithKill9IsTakenBackByTheNextTrigger() async throws {
    let (f, s, history, first) = try await runningTrigger()
    kill(first.processIdentifier, SIGKILL)
    try await exited(first)
    try FileManager.default.removeItem(at: s.work.appendingPathComponent("slow"))
    let second = try startTrigger(s, f)
    try await exited(second)
    #expect(second.terminationStatus == 0)
    let rows = try history.runs(job: "slow")
    #expect(rows.map(\.status) == [.ok, .interrupted], "\(rows.map { "\($0.status): \($0.error ?? "")" })")
    #expect(try history.leaseHolder("slow", now: Date()) == nil)
    await f.fake.stop()
  }
}
