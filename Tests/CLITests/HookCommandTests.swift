import AshbyFake
import AshbyScheduler
import AshbyTestSupport
import Foundation
import Testing

/// `hook register / list / test / unregister` against the fake Ashby, with a
/// daemon that reads the stored secret: the registered webhook feeds the hook.
@Suite(.serialized) struct HookCommandTests {
  @Test func registerListTestAndUnregister() async throws {
    let d = try await HookDaemon(
      schedule: """
        [[hook]]
        name = "welcome"
        events = ["applicationSubmit", "candidateHire"]
        script = "welcome.lua"
        secret_command = "cat \\"$HOME/config/ashby-lua/hooks/welcome.secret\\" 2>/dev/null || echo not-registered-yet"
        """, scripts: ["welcome.lua": HookLoopTests.welcome])
    let file = d.setup.file
    let home = d.setup.home
    _ = try await d.ready()
    let url = "http://127.0.0.1:\(d.port)/hooks/welcome"

    let registered = try await run(["hook", "register", "welcome", "--url", url, "--file", file], env: d.fake.env, home: home)
    #expect(registered.status == 0, "\(registered.stderr)")
    #expect(registered.stdout.contains("registered welcome: 2 webhooks (applicationSubmit, candidateHire)"))
    let webhooks = d.fake.fake.registeredWebhooks
    #expect(Set(webhooks.map(\.type)) == ["applicationSubmit", "candidateHire"] && webhooks.allSatisfy { $0.url == url })
    let secretFile = home.appendingPathComponent("config/ashby-lua/hooks/welcome.secret").path
    let secret = try String(contentsOfFile: secretFile, encoding: .utf8)
    #expect(secret.count == 64)
    let mode = try FileManager.default.attributesOfItem(atPath: secretFile)[.posixPermissions] as? Int
    #expect(mode == 0o600)
    #expect(!registered.all.contains(secret))
    let again = try await run(["hook", "register", "welcome", "--url", url, "--file", file], env: d.fake.env, home: home)
    #expect(again.status == 2 && again.stderr.contains("registered already"))

    let list = try await run(["hook", "list"], env: d.fake.env, home: home)
    #expect(list.status == 0 && list.stdout.contains("candidateHire") && list.stdout.contains("yes"), "\(list.stdout)")

    // The daemon reads the new secret on SIGHUP, as after any edit.
    kill(d.process.processIdentifier, SIGHUP)
    #expect(await eventually { d.log.contains("schedule: reloaded") })
    let ping = try await run(["hook", "test", "welcome", "--url", url, "--file", file], home: home)
    #expect(ping.status == 0 && ping.stdout.contains("200") && ping.stdout.contains("pong"), "\(ping.all)\n\(d.log)")
    #expect(await eventually { d.runs("welcome").contains { $0.error == "ping" } })

    // What Ashby sends now, signed with the registered secret, runs the hook.
    let maker = try script(HookLoopTests.newApplication, name: "new.lua")
    #expect(try await run(["run", maker, "registered@example.com"], env: d.fake.env, home: home).status == 0)
    #expect(await eventually { d.runs("welcome").contains { $0.status == .ok } }, "\(d.log)")

    let gone = try await run(["hook", "unregister", "welcome"], env: d.fake.env, home: home)
    #expect(gone.status == 0 && gone.stdout.contains("2 webhooks deleted"))
    #expect(d.fake.fake.registeredWebhooks.isEmpty && !FileManager.default.fileExists(atPath: secretFile))
    for outcome in [registered, again, list, ping, gone] { #expect(!outcome.all.contains(secret)) }
    #expect(!d.log.contains(secret))
    await d.stop()
  }

  @Test func testOnAHookThatIsNotThereOrADaemonThatIsNot() async throws {
    let s = try ScheduleTests.Setup(
      schedule: hookTable("h", script: "hire.lua", secret: "unsigned = true"))
    let missing = try await run(["hook", "test", "nope", "--file", s.file], home: s.home)
    #expect(missing.status == 2 && missing.stderr.contains("has no hook \"nope\"; its hooks: h"))
    let down = try await run(["hook", "test", "h", "--file", s.file, "--url", "http://127.0.0.1:9/hooks/h"], home: s.home)
    #expect(down.status == 1 && down.stderr.contains("is `ashby-lua schedule run --listen` running?"), "\(down.stderr)")
  }
}
