import AshbyFake
import AshbyScheduler
import AshbyTestSupport
import Foundation
import Testing

/// scripts/hooks: the example schedule, its hooks and its change-feed job, against the fake.
@Suite(.serialized) struct HookExampleTests {
  static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("scripts/hooks")

  static func example(_ name: String) throws -> String {
    try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
  }

  @Test func welcomeHiredAndTheChangedApplicationsJob() async throws {
    let names = ["welcome.lua", "hired.lua", "changed-applications.lua", "new-application.lua"]
    var scripts: [String: String] = [:]
    for name in names { scripts[name] = try Self.example(name) }
    let d = try await HookDaemon(schedule: try Self.example("schedules.toml"), scripts: scripts).ready()
    let base = "http://127.0.0.1:\(d.port)/hooks"
    d.fake.fake.registerWebhook(type: "applicationSubmit", url: "\(base)/welcome", secret: d.secret)
    d.fake.fake.registerWebhook(type: "candidateHire", url: "\(base)/hired", secret: d.secret)
    let file = d.setup.file
    let newApplication = d.setup.work.appendingPathComponent("new-application.lua").path

    // The change-feed job's first run notes where things stand.
    let first = try await run(["schedule", "trigger", "changed-applications", "--file", file], env: d.fake.env, home: d.setup.home)
    #expect(first.status == 0 && first.stdout.contains("0 applications changed"), "\(first.all)")

    let made = try await run(["run", newApplication, "ada@example.com"], env: d.fake.env, home: d.setup.home)
    #expect(made.status == 0, "\(made.stderr)")
    let application = try #require(made.stdout.split(separator: " ").dropFirst().first.map { String($0.dropLast()) })
    #expect(await eventually { d.fake.fake.noteContents.contains { $0.hasPrefix("Welcome, Ada Lovelace: thanks for applying to ") } }, "\(d.log)")

    // Hired at the fake: the candidateHire webhook runs hired.lua.
    let hire = try script(
      "ashby.advance_application{ application_id = arg[1], stage = 'Hired' }", name: "hire.lua")
    let hired = try await run(["run", hire, application], env: d.fake.env, home: d.setup.home)
    #expect(hired.status == 0, "\(hired.stderr)")
    #expect(await eventually { d.fake.fake.noteContents.contains { $0.hasPrefix("Hired for ") } }, "\(d.log)")
    #expect(await eventually { d.runs("hired").first?.status == .ok })
    #expect(d.log.contains("hired: Ada Lovelace for "))

    let second = try await run(["schedule", "trigger", "changed-applications", "--file", file], env: d.fake.env, home: d.setup.home)
    #expect(second.stdout.contains("1 application changed") && second.stdout.contains("Hired"), "\(second.all)")
    await d.stop()
  }
}
