import AshbyFake
import AshbyScheduler
import AshbySignature
import AshbyWebhook
import AshbyTestSupport
import Foundation
import Testing

/// Hooks through the binary: `schedule run --listen`, deliveries signed as
/// Ashby signs them, the script's writes counted at the fake.
@Suite(.serialized) struct HookTests {
  static let schedule = hookTable(
    "note", events: ["applicationSubmit", "candidateHire"], script: "note.lua", "retries = 2", "retry_delay = 0")

  /// Writes one note per delivery, naming the event, from both `...` and `ashby.event`.
  static let note = """
    local payload = ...
    assert(payload.webhookActionId == ashby.event.webhook_action_id, "... and ashby.event disagree")
    assert(ashby.event.hook == "note" and ashby.event.received_at:match("Z$"))
    local app = ashby.event.data.application
    ashby.call("candidate.createNote", {
      candidate_id = app.candidate.id,
      note = "hook " .. ashby.event.action .. " " .. payload.webhookActionId,
    })
    """

  static func daemon(schedule: String = schedule, scripts: [String: String] = [:], args: [String] = []) async throws
    -> HookDaemon
  {
    try await HookDaemon(schedule: schedule, scripts: ["note.lua": note].merging(scripts) { $1 }, args: args).ready()
  }

  static func application(_ d: HookDaemon) -> String {
    let candidate = d.fake.fake.seedIDs("candidate")[0]
    return #"{"application":{"id":"app-1","candidate":{"id":"\#(candidate)","name":"Ada"}}}"#
  }

  func notes(_ d: HookDaemon, _ id: String) -> Int { d.fake.fake.noteContents.filter { $0.hasSuffix(id) }.count }

  @Test func aSignedDeliveryRunsTheScriptOnceWithThePayload() async throws {
    let d = try await Self.daemon()
    let id = UUID().uuidString
    let answer = try await d.deliver("note", HookDaemon.body(id: id, data: Self.application(d)))
    #expect(answer.status == 200, "\(answer.body)")
    #expect(await eventually { d.runs("note").first?.status == .ok }, "\(d.log)")
    #expect(d.fake.fake.noteContents.contains("hook applicationSubmit \(id)"))
    let record = try #require(d.runs("note").first)
    #expect(record.trigger == .webhook && record.event == "applicationSubmit \(id)")
    #expect(record.writes == 1 && record.attempts == 1)
    // The other spelling of the header is taken too.
    let other = UUID().uuidString
    let second = try await d.deliver(
      "note", HookDaemon.body(id: other, data: Self.application(d)), header: WebhookSignature.alternateHeader)
    #expect(second.status == 200)
    #expect(await eventually { notes(d, other) == 1 })
    let history = try await run(["schedule", "history", "--hook", "note", "--file", d.setup.file], home: d.setup.home)
    #expect(history.stdout.contains("applicationSubmit \(id)") && history.stdout.contains("EVENT"), "\(history.stdout)")
    #expect(!d.log.contains(d.secret) && !history.stdout.contains(d.secret))
    #expect(filesHolding(d.secret, under: d.setup.home).isEmpty)
    await d.stop()
  }

  @Test func aWrongOrMissingSignatureIs401AndRunsNothing() async throws {
    let d = try await Self.daemon()
    let body = HookDaemon.body(data: Self.application(d))
    let wrong = try await d.deliver("note", body, signature: WebhookSignature.sign(body, secret: "not-the-secret"))
    let missing = try await d.deliver("note", body, signature: .some(nil))
    let garbage = try await d.deliver("note", body, signature: "sha256=zz")
    // Signed over other bytes: the signature covers the raw body, not its meaning.
    let reordered = try await d.deliver(
      "note", body + Data(" ".utf8), signature: WebhookSignature.sign(body, secret: d.secret))
    let statuses: [Int] = [wrong.status, missing.status, garbage.status, reordered.status]
    #expect(statuses == [401, 401, 401, 401])
    // A signed delivery after them, and the queue drained: had any refused one been stored, it
    // would have run by now (nothing waits or runs), so one run and one note say none was.
    let marker = UUID().uuidString
    #expect(try await d.deliver("note", HookDaemon.body(id: marker, data: Self.application(d))).status == 200)
    #expect(await eventually { notes(d, marker) == 1 })
    #expect(await settled(d))
    #expect(d.runs("note").count == 1 && d.fake.fake.noteCount == 1)
    await d.stop()
  }

  @Test func theSameWebhookActionIdThreeTimesRunsOnce() async throws {
    let d = try await Self.daemon()
    let id = UUID().uuidString
    let body = HookDaemon.body(id: id, data: Self.application(d))
    var statuses: [Int] = []
    for _ in 0..<3 { statuses.append(try await d.deliver("note", body).status) }
    #expect(statuses == [200, 200, 200])
    #expect(await eventually { d.runs("note").contains { $0.status == .ok } })
    #expect(await settled(d))  // nothing waits or runs: no second run can come
    #expect(notes(d, id) == 1)
    let runs = d.runs("note")
    #expect(runs.filter { $0.status == .ok }.count == 1)
    #expect(runs.filter { $0.status == .skipped && ($0.error ?? "").hasPrefix("duplicate") }.count == 2)
    await d.stop()
  }

  @Test func eventTypesTheHookDoesNotWantAndPingsRunNothing() async throws {
    let d = try await Self.daemon()
    let unwanted = try await d.deliver("note", HookDaemon.body(action: "offerCreate", data: Self.application(d)))
    let ping = try await d.deliver("note", HookDaemon.body(action: "ping"))
    #expect(unwanted.status == 200 && unwanted.body.contains("ignored"))
    #expect(ping.status == 200 && ping.body.contains("pong"))
    let hire = UUID().uuidString
    #expect(try await d.deliver("note", HookDaemon.body(action: "candidateHire", id: hire, data: Self.application(d))).status == 200)
    #expect(await eventually { notes(d, hire) == 1 })
    let runs = d.runs("note")
    #expect(runs.contains { $0.status == .skipped && ($0.error ?? "").contains("offerCreate is not in this hook's events") })
    #expect(runs.contains { $0.status == .skipped && $0.error == "ping" })
    #expect(d.fake.fake.noteCount == 1)
    await d.stop()
  }

  @Test func aFailingScriptIsRetried() async throws {
    // Fails on its first attempt (the counter file is in the schedule's folder).
    let flaky = """
      assert(os.getenv("SECRET_ENV") == nil, "the hook's secret reached the script")
      -- The daemon's runs yield the CPU to it: nice 10 (the 17th field after the command's name in /proc/self/stat).
      local fields = {}
      for field in io.open("/proc/self/stat"):read("a"):match("%) (.*)"):gmatch("%S+") do fields[#fields + 1] = field end
      assert(fields[17] == "10", "nice " .. tostring(fields[17]))
      local f = io.open("attempts.txt", "a+"); f:write("x"); f:seek("set"); local n = #f:read("a"); f:close()
      if n < 2 then error("not yet (attempt " .. n .. ")") end
      local app = ashby.event.data.application
      ashby.call("candidate.createNote", { candidate_id = app.candidate.id, note = "flaky " .. ashby.event.webhook_action_id })
      """
    let d = try await Self.daemon(
      schedule: Self.schedule.replacingOccurrences(of: "note.lua", with: "flaky.lua") + "\nsandbox = false\n",
      scripts: ["flaky.lua": flaky])
    let id = UUID().uuidString
    #expect(try await d.deliver("note", HookDaemon.body(id: id, data: Self.application(d))).status == 200)
    #expect(await eventually { d.runs("note").first?.status == .ok }, "\(d.log)")
    let record = try #require(d.runs("note").first)
    #expect(record.attempts == 2 && notes(d, id) == 1)
    await d.stop()
  }

  @Test func aDeliveryAcknowledgedBeforeSIGKILLRunsAfterTheRestartOnce() async throws {
    // The script naps first, so the kill lands after the 2xx and before its write.
    let slow = "ashby.sleep(2)\n" + Self.note
    let d = try await Self.daemon(
      schedule: Self.schedule.replacingOccurrences(of: "note.lua", with: "slow.lua"), scripts: ["slow.lua": slow])
    let id = UUID().uuidString
    #expect(try await d.deliver("note", HookDaemon.body(id: id, data: Self.application(d))).status == 200)
    try await d.restart(kill: true)
    #expect(await eventually(30) { notes(d, id) == 1 }, "\(d.log)")
    #expect(await settled(d))
    #expect(notes(d, id) == 1)
    #expect(d.runs("note").filter { $0.status == .ok }.count == 1, "\(d.runs("note").map(\.status))")
    #expect(try d.history.pendingDeliveries().isEmpty)
    // Redelivered by Ashby after the restart: still once.
    #expect(try await d.deliver("note", HookDaemon.body(id: id, data: Self.application(d))).status == 200)
    #expect(try d.history.pendingDeliveries().isEmpty)  // a duplicate is not queued: it cannot run
    #expect(notes(d, id) == 1)
    await d.stop()
  }

  @Test func aSecondDaemonOnTheSameHistoryLeavesARunningHookRunAlone() async throws {
    // A hook's run holds no lease: a daemon starting beside it must not take it for abandoned.
    let d = try await Self.daemon(
      schedule: Self.schedule.replacingOccurrences(of: "note.lua", with: "slow.lua"),
      scripts: ["slow.lua": "ashby.sleep(3)\n" + Self.note])
    let id = UUID().uuidString
    #expect(try await d.deliver("note", HookDaemon.body(id: id, data: Self.application(d))).status == 200)
    #expect(await eventually { d.runs("note").first?.status == .running })
    let second = try await run(
      ["schedule", "run", "--file", d.setup.file, "--stop-grace", "0"], env: d.fake.env.merging(["SECRET_ENV": "x"]) { $1 },
      // Its first line comes once a stop is the daemon's own graceful one, whose services still start (and
      // look for abandoned runs) before they stop: the check below is made whenever the SIGINT lands.
      home: d.setup.home, interrupts: [1], marker: "schedule: ")
    #expect(second.status == 0, "\(second.stderr)")
    #expect(d.runs("note").first?.status == .running, "\(d.runs("note").map(\.status))")
    #expect(await eventually { d.runs("note").first?.status == .ok })
    #expect(d.runs("note").filter { $0.status == .interrupted }.isEmpty && notes(d, id) == 1)
    await d.stop()
  }

  @Test func aFullQueueAnswers503WithRetryAfter() async throws {
    let d = try await Self.daemon(
      schedule: Self.schedule.replacingOccurrences(of: "note.lua", with: "slow.lua"),
      scripts: ["slow.lua": "ashby.sleep(5)\n" + Self.note], args: ["--hook-queue", "1", "--hook-workers", "1"])
    let first = try await d.deliver("note", HookDaemon.body(data: Self.application(d)))
    let refusedID = UUID().uuidString
    let refusedBody = HookDaemon.body(id: refusedID, data: Self.application(d))
    let second = try await d.deliver("note", refusedBody)
    #expect(first.status == 200)
    #expect(second.status == 503 && second.headers["retry-after"] == "30", "\(second)")
    #expect(await eventually { d.runs("note").first?.status == .ok })
    // Room again: the same delivery, sent again as Ashby does, is taken and runs once.
    #expect(try await d.deliver("note", refusedBody).status == 200)
    #expect(await eventually { notes(d, refusedID) == 1 }, "\(d.log)")
    await d.stop()
  }

  @Test func badRequestsGetTheirStatusAndLeaveTheDaemonServing() async throws {
    let d = try await Self.daemon(args: ["--hook-body-timeout", "1"])
    let big = Data(repeating: UInt8(ascii: " "), count: (1 << 20) + 1)
    let tooBig = try await d.deliver("note", big)
    #expect(tooBig.status == 413, "\(tooBig)")
    #expect(try await d.deliver("note", Data("{not json".utf8)).status == 400)
    #expect(try await d.deliver("note", Data(#"{"action":"applicationSubmit"}"#.utf8)).status == 400)
    #expect(try await d.deliver("note", Data(#"{"webhookActionId":"x"}"#.utf8)).status == 400)
    #expect(try await d.deliver("nope", HookDaemon.body()).status == 404)
    #expect(try await d.deliver("note", Data(), method: "GET").status == 405)
    // A client that sends headers and then dribbles: answered 408 within the deadline.
    let started = Date()
    let slow = try SlowClient(port: d.port)
    let status = slow.send(
      "POST /hooks/note HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\"")
    #expect(status == 408, "got \(status)")
    // One that never finishes its headers: the same.
    let dribbler = try SlowClient(port: d.port)
    #expect(dribbler.send("POST /hooks/note HTTP/1.1\r\nHost: x\r\nContent-Ty") == 408)
    #expect(Date().timeIntervalSince(started) < 10)
    let health = try await d.deliver("", Data(), method: "GET")
    #expect(health.status == 200 && health.body.contains("ok"))
    #expect(d.runs("note").isEmpty && d.fake.fake.noteCount == 0)
    #expect(!d.log.contains(d.secret))
    await d.stop()
  }

  @Test func hooksOnlyServesTheHooksAndRunsNoJob() async throws {
    // A job that is due at once (catch_up of a fire missed long ago) would run without --hooks-only.
    let d = try await Self.daemon(
      schedule: Self.schedule + "\n\n[[job]]\nname = \"due\"\nscript = \"hire.lua\"\ncron = \"* * * * *\"\ncatch_up = \"last\"\n",
      args: ["--hooks-only"])
    #expect(d.log.contains("schedule: 0 jobs and 1 hook"), "\(d.log)")
    let id = UUID().uuidString
    #expect(try await d.deliver("note", HookDaemon.body(id: id, data: Self.application(d))).status == 200)
    #expect(await eventually { notes(d, id) == 1 })
    #expect(try d.history.runs(job: "due").isEmpty)
    await d.stop()
  }

  @Test func aPortInUseStopsTheDaemonSayingWhy() async throws {
    let d = try await Self.daemon()
    let second = try await run(
      ["schedule", "run", "--file", d.setup.file, "--listen", "127.0.0.1:\(d.port)"], env: ["SECRET_ENV": "x"],
      home: try scratch(), timeout: 30)
    #expect(second.status == 2 && second.stderr.contains("cannot listen on 127.0.0.1:\(d.port)"), "\(second.stderr)")
    await d.stop()
  }

  @Test func aHookWithoutASecretIsRefusedAtLoad() async throws {
    let s = try ScheduleTests.Setup(
      schedule: [
        hookTable("open", events: ["applicationSubmit"], script: "hire.lua", secret: nil),
        hookTable("typo", events: ["applicationSubmitted"], script: "hire.lua", secret: "unsigned = true"),
      ].joined(separator: "\n\n"))
    let r = try await run(["schedule", "validate", "--file", s.file], home: s.home)
    #expect(r.status == 2)
    #expect(r.stderr.contains("schedules.toml:1: hook \"open\": no secret"), "\(r.stderr)")
    #expect(r.stderr.contains("\"applicationSubmitted\" is not an Ashby webhook type (did you mean \"applicationSubmit\"?)"))
    // A secret_env that is not set stops the daemon at start, naming the variable only.
    let t = try ScheduleTests.Setup(
      schedule: hookTable("h", script: "hire.lua", secret: #"secret_env = "NOT_SET_ANYWHERE""#))
    let daemon = try await run(["schedule", "run", "--file", t.file, "--listen", "127.0.0.1:0"], home: t.home)
    #expect(daemon.status == 2 && daemon.stderr.contains("NOT_SET_ANYWHERE (secret_env) is not set"), "\(daemon.stderr)")
  }
}

/// A raw TCP client that sends a request and then goes quiet (a slow loris).
struct SlowClient {
  let fd: Int32

  init(port: Int) throws {
    fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw HookTestError("cannot connect") }
  }

  /// Sends `text`, then reads the status of the answer (0 if none comes in 15 s).
  func send(_ text: String) -> Int {
    defer { close(fd) }
    _ = text.withCString { write(fd, $0, strlen($0)) }
    var timeout = timeval(tv_sec: 15, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var buffer = [UInt8](repeating: 0, count: 512)
    let n = read(fd, &buffer, buffer.count)
    guard n > 12 else { return 0 }
    let line = String(decoding: buffer.prefix(n), as: UTF8.self)
    return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
  }
}
