import AshbyFake
import AshbyScheduler
import AshbySignature
import AshbyWebhook
import AshbyTestSupport
import Foundation
import Testing

/// The whole loop, offline: a script writes at the fake Ashby, the fake sends
/// its signed webhook, the daemon runs the hook, whose write lands at the fake.
@Suite(.serialized) struct HookLoopTests {
  static let newApplication = """
    local job = ashby.list_jobs{ status = "open" }.jobs[1]
    local c = ashby.create_candidate{ first_name = "Loop", last_name = "Test", email = arg[1] }
    local a = ashby.create_application{ candidate_id = c.id, job_id = job.id }
    print("application " .. a.id .. " candidate " .. c.id)
    """

  static let welcome = """
    local app = ashby.event.data.application
    ashby.call("candidate.createNote", { candidate_id = app.candidate.id, note = "Welcome, " .. app.candidate.name })
    print("welcomed " .. app.candidate.id)
    """

  static let schedule = hookTable("welcome", events: ["applicationSubmit"], script: "welcome.lua")

  @Test func anApplicationAtTheFakeRunsTheHookWhoseWriteLandsThere() async throws {
    let d = try await HookDaemon(schedule: Self.schedule, scripts: ["welcome.lua": Self.welcome]).ready()
    // Registered as `hook register` does it: webhook.create at "Ashby".
    let url = "http://127.0.0.1:\(d.port)/hooks/welcome"
    #expect(d.fake.fake.registerWebhook(type: "applicationSubmit", url: url, secret: d.secret) != nil)
    let script = try script(Self.newApplication, name: "new.lua")
    let made = try await run(["run", script, "loop@example.com"], env: d.fake.env, home: d.setup.home)
    #expect(made.status == 0, "\(made.stderr)")
    let candidate = try #require(made.stdout.split(separator: " ").last.map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) })
    #expect(await eventually { d.fake.fake.noteContents.contains("Welcome, Loop Test") }, "\(d.log)")
    #expect(d.fake.fake.webhookAttempts.map(\.status) == [200])
    #expect(await eventually { d.runs("welcome").first?.status == .ok })
    let run = try #require(d.runs("welcome").first)
    #expect(run.status == .ok && run.writes == 1 && run.event?.hasPrefix("applicationSubmit ") == true)
    #expect(d.log.contains("welcome#\(run.id ?? 0): welcomed \(candidate)"))
    await d.stop()
  }

  /// As Ashby: a 401 (a secret the daemon does not know) and a 404 (a name
  /// no daemon loaded) are final, sent once; the event is dropped.
  @Test func theFakeNeverSendsAgainAfterA401OrA404() async throws {
    let d = try await HookDaemon(schedule: Self.schedule, scripts: ["welcome.lua": Self.welcome]).ready()
    d.fake.fake.registerWebhook(type: "applicationSubmit", url: "http://127.0.0.1:\(d.port)/hooks/welcome", secret: "stale")
    d.fake.fake.registerWebhook(type: "applicationSubmit", url: "http://127.0.0.1:\(d.port)/hooks/never", secret: d.secret)
    let script = try script(Self.newApplication, name: "new.lua")
    #expect(try await run(["run", script, "final@example.com"], env: d.fake.env, home: d.setup.home).status == 0)
    #expect(await eventually(10) { d.fake.fake.webhookAttempts.count >= 2 })
    // Past the first two retries' waits (0.1 s and 0.3 s at the tests' scale): nothing more came.
    try await Task.sleep(for: .seconds(1.5))
    let attempts = d.fake.fake.webhookAttempts
    #expect(attempts.map(\.status).sorted() == [401, 404], "\(attempts.map(\.status))")
    #expect(d.runs("welcome").isEmpty)
    await d.stop()
  }

  /// A hook missing for one reload (a file saved in two steps) answers 503,
  /// which Ashby retries with the same webhookActionId: once it is back, the
  /// delivery runs, once.
  @Test func aDeliveryToAHookMissingForAReloadRunsOnceItIsBack() async throws {
    let d = try await HookDaemon(schedule: Self.schedule, scripts: ["welcome.lua": Self.welcome]).ready()
    try await d.reload(Self.schedule.replacingOccurrences(of: "\"welcome\"", with: "\"renamed\""))
    d.fake.fake.registerWebhook(type: "applicationSubmit", url: "http://127.0.0.1:\(d.port)/hooks/welcome", secret: d.secret)
    let script = try script(Self.newApplication, name: "new.lua")
    #expect(try await run(["run", script, "missing@example.com"], env: d.fake.env, home: d.setup.home).status == 0)
    #expect(await eventually(10) { d.fake.fake.webhookAttempts.count >= 2 }, "\(d.log)")
    #expect(d.fake.fake.webhookAttempts.allSatisfy { $0.status == 503 })
    let waiting = try await run(["schedule", "status", "--file", d.setup.file], env: d.fake.env, home: d.setup.home)
    #expect(waiting.status == 0, "\(waiting.all)")
    try await d.reload(Self.schedule)
    #expect(await eventually(60) { d.fake.fake.webhookAttempts.last?.status == 200 }, "\(d.fake.fake.webhookAttempts)")
    #expect(await eventually(30) { d.runs("welcome").first?.status == .ok }, "\(d.log)")
    let attempts = d.fake.fake.webhookAttempts
    #expect(Set(attempts.map(\.webhookActionId)).count == 1)
    #expect(d.runs("welcome").filter { $0.status == .ok }.count == 1)
    #expect(d.fake.fake.noteContents.filter { $0.hasPrefix("Welcome, Loop Test") }.count == 1)
    await d.stop()
  }

  /// Other methods are 405, `Expect: 100-continue` is answered at once,
  /// `/healthz` is liveness and `/readyz` readiness.
  @Test func theFrontDoorAnswersAsAshbyReadsIt() async throws {
    let d = try await HookDaemon(schedule: Self.schedule, scripts: ["welcome.lua": Self.welcome]).ready()
    for method in ["DELETE", "GET", "PUT", "PATCH"] {
      #expect(try await d.deliver("welcome", Data(), method: method).status == 405, "\(method)")
    }
    #expect(try await d.deliver("", Data(), method: "GET").status == 200)
    let ready = try await d.deliver("/readyz", Data(), method: "GET")
    #expect(ready.status == 200 && ready.body.contains("\"queued\""), "\(ready.body)")
    // A client that waits for 100 Continue before its body gets it at once (curl waits a second otherwise).
    let body = HookDaemon.body(data: "{}")
    let started = Date()
    let curl = Process()
    curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
    let signed = SignedDelivery(body: body, secret: d.secret)
    curl.arguments =
      ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Expect: 100-continue"]
      + signed.headers.flatMap { ["-H", "\($0.name): \($0.value)"] }
      + ["--data-binary", String(decoding: signed.body, as: UTF8.self), "http://127.0.0.1:\(d.port)/hooks/welcome"]
    let out = d.setup.home.appendingPathComponent("curl.out")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    curl.standardOutput = try FileHandle(forWritingTo: out)
    try curl.run()
    try await exited(curl)
    let took = Date().timeIntervalSince(started)
    let code = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
    // curl waits a full second for the 100 before sending anyway: well under it means it came.
    #expect(code == "200" && took < 0.9, "\(code) in \(took) s")
    await d.stop()
  }

  @Test func scheduleRunWithFakeAndListenWiresTheTwoTogether() async throws {
    let port = try freePort()
    let d = try await HookDaemon(
      schedule: Self.schedule, scripts: ["welcome.lua": Self.welcome], args: ["--fake", "--fake-port", "\(port)"]
    ).ready()
    // The daemon's own fake, as the README's demo uses it from another shell.
    let base = "http://127.0.0.1:\(port)"
    #expect(d.log.contains("schedule: fake Ashby at \(base)"))
    #expect(!d.log.contains(FakeAshby.fullKey))
    let script = try script(Self.newApplication, name: "new.lua")
    let made = try await run(
      ["run", script, "wired@example.com"], env: ["ASHBY_BASE_URL": String(base), "ASHBY_API_KEY": FakeAshby.fullKey],
      home: d.setup.home)
    #expect(made.status == 0, "\(made.stderr)")
    #expect(await eventually { d.runs("welcome").first?.status == .ok }, "\(d.log)")
    #expect(d.runs("welcome").first?.writes == 1)
    #expect(d.fake.fake.noteCount == 0, "the hook wrote to the daemon's fake, not the test's")
    await d.stop()
  }
}

/// A port nothing listens on now.
func freePort() throws -> Int {
  let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  defer { close(fd) }
  var address = sockaddr_in()
  address.sin_family = sa_family_t(AF_INET)
  address.sin_addr.s_addr = inet_addr("127.0.0.1")
  var length = socklen_t(MemoryLayout<sockaddr_in>.size)
  let bound = withUnsafeMutablePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
  }
  guard bound else { throw HookTestError("no free port") }
  return Int(UInt16(bigEndian: address.sin_port))
}
