import AshbyFake
import AshbyScheduler
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

  static let schedule = """
    [[hook]]
    name = "welcome"
    events = ["applicationSubmit"]
    script = "welcome.lua"
    secret_env = "SECRET_ENV"
    """

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

  @Test func theFakeSendsAgainWithTheSameWebhookActionIdUntilA2xx() async throws {
    let d = try await HookDaemon(schedule: Self.schedule, scripts: ["welcome.lua": Self.welcome]).ready()
    // A webhook whose secret the daemon does not know: every attempt gets 401.
    d.fake.fake.registerWebhook(type: "applicationSubmit", url: "http://127.0.0.1:\(d.port)/hooks/welcome", secret: "stale")
    let script = try script(Self.newApplication, name: "new.lua")
    #expect(try await run(["run", script, "retry@example.com"], env: d.fake.env, home: d.setup.home).status == 0)
    #expect(await eventually(10) { d.fake.fake.webhookAttempts.count >= 3 })
    let attempts = d.fake.fake.webhookAttempts
    #expect(Set(attempts.map(\.webhookActionId)).count == 1 && attempts.allSatisfy { $0.status == 401 })
    #expect(d.runs("welcome").isEmpty)
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
