import AshbyCatalog
import AshbyFake
import AshbyJSON
import AshbyKit
import AshbyState
import AshbyTestSupport
import Foundation
import Testing

/// Plans (docs/plans.md): `run --plan` saves the writes, `apply` makes exactly them once, `undo` writes
/// the way back; all at the fake, through the real binary.
@Suite(.teardown) struct PlanApplyTests {
  /// The writes the fake received, in order, as (endpoint, body): what two runs are compared by.
  static func writes(_ fake: FakeAshby) -> [JSONValue] {
    fake.requests.filter { Catalog.isWrite($0.endpoint) }.map { [.string($0.endpoint), .object($0.json)] }
  }

  /// An application's stage id and status at the fake, read as a script would.
  static func stage(_ fake: FakeAshby, _ application: String) async throws -> (stage: String?, status: String?) {
    let client = AshbyClient(
      configuration: AshbyConfiguration(baseURL: fake.baseURL, apiKey: AshbyAPIKey(FakeAshby.fullKey)))
    defer { Task.detached { await client.shutdown() } }
    let info = try await client.call("application.info", ["applicationId": .string(application)])
    return (info["currentInterviewStage"]?["id"]?.string, info["status"]?.string)
  }

  /// A plan that moves the first `count` seed applications to Phone Screen, saved under `home`.
  static func movePlan(_ f: FakeFixture, count: Int, home: URL) async throws -> (apps: [String], plan: String) {
    let apps = Array(f.fake.seedIDs("application").prefix(count))
    let list = apps.map { "\"\($0)\"" }.joined(separator: ", ")
    let path = try script(
      "for _, id in ipairs{ \(list) } do ashby.advance_application{ application_id = id, stage = \"Phone Screen\" } end")
    let plan = home.appendingPathComponent("p.json").path
    #expect(try await run(["run", "--plan", plan, path], env: f.env, home: home).status == 0)
    return (apps, plan)
  }

  /// `apply plan` started against a slowed fake, returned once `once` of its writes arrived.
  static func applyUnderWay(_ plan: String, _ f: FakeFixture, home: URL, once: Int) async throws -> Process {
    f.fake.clearLog()
    f.fake.setLatency(.milliseconds(300))
    let (process, _) = try launch(["apply", plan], home: home, log: "apply.log", environment: f.env)
    #expect(await eventually(60) { f.fake.count("application.changeStage") >= once })
    return process
  }

  /// A candidate, an application for it (a placeholder apply fills in), and three moves with notes.
  static func busyScript(_ fake: FakeAshby) throws -> String {
    let apps = fake.seedIDs("application").prefix(3).map { "\"\($0)\"" }.joined(separator: ", ")
    let job = fake.seedIDs("job")[0]
    return try script(
      """
      local c = ashby.create_candidate{ first_name = "Plan", last_name = "Ned", email = "plan.ned@example.com" }
      ashby.create_application{ candidate_id = c.id, job_id = "\(job)" }
      for _, id in ipairs{ \(apps) } do
        ashby.advance_application{ application_id = id, stage = "Phone Screen", note = "moved by plan" }
      end
      """)
  }

  @Test func aPlanAppliedMakesExactlyTheWritesOfADirectRunAndOnlyOnce() async throws {
    let direct = try await FakeFixture.start()
    let planned = try await FakeFixture.start()
    let home = try scratch()
    let path = try Self.busyScript(direct.fake)
    let r = try await run(["run", path], env: direct.env, home: try scratch())
    #expect(r.status == 0, "\(r.all)")
    let plan = home.appendingPathComponent("p.json").path
    let p = try await run(["run", "--plan", plan, path], env: planned.env, home: home)
    #expect(p.status == 0, "\(p.all)")
    #expect(p.stderr.contains("saved to \(plan)"), "\(p.stderr)")
    #expect(Self.writes(planned.fake).isEmpty)  // planning writes nothing
    let shown = try await run(["plan", "show", plan], home: home)
    #expect(shown.stdout.contains("8 writes:"), "\(shown.stdout)")
    #expect(shown.stdout.contains("stage \"Application Review\""), "\(shown.stdout)")
    let a = try await run(["apply", plan], env: planned.env, home: home)
    #expect(a.status == 0, "\(a.all)")
    #expect(a.stdout.contains("8 applied, 0 done earlier, 0 skipped of 8"), "\(a.stdout)")
    #expect(Self.writes(planned.fake) == Self.writes(direct.fake))
    #expect(Self.writes(planned.fake).count == 8)
    // Once: the second apply refuses, and sends nothing.
    planned.fake.clearLog()
    let again = try await run(["apply", plan], env: planned.env, home: home)
    #expect(again.status == 1)
    #expect(again.stderr.contains("already applied at"), "\(again.stderr)")
    #expect(Self.writes(planned.fake).isEmpty)
    // By id, from the state, it is the same plan, applied.
    let id = try #require(try JSONValue.decode(Data(contentsOf: URL(fileURLWithPath: plan)))["id"]?.string)
    #expect(try await run(["plan", "show", id], home: home).stdout.contains("applied at"))
    // The audit log: every write of the apply, with the plan's id and step.
    let rows = try FreshState.open(stateSpec(home: home)).audit(AuditFilter(planID: id))
    #expect(rows.count == 8 && rows.allSatisfy { $0.origin == "apply" && $0.outcome == "ok" })
    #expect(Set(rows.compactMap(\.planStep)) == Set(1...8))
  }

  @Test func aTargetMovedMeanwhileIsSkippedWithItsReason() async throws {
    let f = try await FakeFixture.start()
    let home = try scratch()
    let apps = Array(f.fake.seedIDs("application").prefix(2))
    let path = try script(
      "for _, id in ipairs{ \"\(apps[0])\", \"\(apps[1])\" } do ashby.advance_application{ application_id = id, stage = \"Phone Screen\" } end"
    )
    let plan = home.appendingPathComponent("p.json").path
    #expect(try await run(["run", "--plan", plan, path], env: f.env, home: home).status == 0)
    // Someone moves the second application before the plan is applied.
    let moved = try script("ashby.advance_application{ application_id = \"\(apps[1])\", stage = \"Onsite\" }")
    #expect(try await run(["run", moved], env: f.env, home: home).status == 0)
    let onsite = try await Self.stage(f.fake, apps[1]).stage
    f.fake.clearLog()
    let a = try await run(["apply", plan], env: f.env, home: home)
    #expect(a.status == 0, "\(a.all)")
    #expect(a.stdout.contains("skipped   2. application.changeStage on application \(apps[1]): the application \(apps[1]) changed since the plan: stage"), "\(a.stdout)")
    #expect(a.stdout.contains("1 applied, 0 done earlier, 1 skipped of 2"), "\(a.stdout)")
    #expect(f.fake.count("application.changeStage") == 1)
    #expect(try await Self.stage(f.fake, apps[1]).stage == onsite)  // left where the person put it

    // --on-drift stop: stops at the drift, exit 1, and nothing after it is sent.
    let second = home.appendingPathComponent("q.json").path
    let back = try script(
      "for _, id in ipairs{ \"\(apps[1])\", \"\(apps[0])\" } do ashby.advance_application{ application_id = id, stage = \"Application Review\" } end"
    )
    #expect(try await run(["run", "--plan", second, back], env: f.env, home: home).status == 0)
    let other = try script("ashby.advance_application{ application_id = \"\(apps[1])\", stage = \"Phone Screen\" }")
    #expect(try await run(["run", other], env: f.env, home: home).status == 0)
    f.fake.clearLog()
    let stopped = try await run(["apply", "--on-drift", "stop", second], env: f.env, home: home)
    #expect(stopped.status == 1, "\(stopped.all)")
    #expect(stopped.stdout.contains("(--on-drift stop)"), "\(stopped.stdout)")
    #expect(f.fake.count("application.changeStage") == 0)
  }

  @Test func aPlanForAnotherAshbyIsRefusedUnlessItIsNamed() async throws {
    let one = try await FakeFixture.start()
    let other = try await FakeFixture.start()
    let home = try scratch()
    let app = one.fake.seedIDs("application")[0]
    let path = try script("ashby.advance_application{ application_id = \"\(app)\", stage = \"Phone Screen\" }")
    let plan = home.appendingPathComponent("p.json").path
    #expect(try await run(["run", "--plan", plan, path], env: one.env, home: home).status == 0)
    let refused = try await run(["apply", plan], env: other.env, home: home)
    #expect(refused.status == 1)
    #expect(refused.stderr.contains("was made against \(one.fake.baseURL.absoluteString)"), "\(refused.stderr)")
    #expect(other.fake.count("application.changeStage") == 0)
    let named = try await run(["apply", "--base-url", other.fake.baseURL.absoluteString, plan], env: other.env, home: home)
    #expect(named.status == 0, "\(named.all)")
    #expect(other.fake.count("application.changeStage") == 1)
  }

  /// `kill -9` half-way: the next apply finishes, and every write is at the fake exactly once.
  @Test func anApplyKilledHalfWayResumesAndSendsEachWriteOnce() async throws {
    let f = try await FakeFixture.start()
    let home = try scratch()
    let (apps, plan) = try await Self.movePlan(f, count: 12, home: home)
    let process = try await Self.applyUnderWay(plan, f, home: home, once: 4)
    kill(process.processIdentifier, SIGKILL)
    #expect(await ended(process, within: 30, what: "the killed apply"))
    let before = f.fake.count("application.changeStage")
    #expect(before < apps.count)
    f.fake.setLatency(.zero)
    let resumed = try await run(["apply", plan], env: f.env, home: home)
    #expect(resumed.status == 0, "\(resumed.all)")
    #expect(resumed.stdout.contains("done      1."), "\(resumed.stdout)")
    let sent = f.fake.requests(to: "application.changeStage").compactMap { $0.json["applicationId"]?.string }
    #expect(sent.sorted() == apps.sorted(), "each application moved exactly once: \(sent)")
  }

  @Test func undoOfABulkStageMoveRestoresEveryStageAndListsTheNotes() async throws {
    let f = try await FakeFixture.start()
    let home = try scratch()
    var apps: [String] = []
    var original: [String: String?] = [:]
    for app in f.fake.seedIDs("application") where apps.count < 4 {
      let now = try await Self.stage(f.fake, app)
      guard now.status == "Active", now.stage != nil else { continue }
      apps.append(app)
      original[app] = now.stage
    }
    // Two archived with a reason, two moved on with a note.
    let path = try script(
      """
      for i, id in ipairs{ \(apps.map { "\"\($0)\"" }.joined(separator: ", ")) } do
        if i <= 2 then
          ashby.advance_application{ application_id = id, stage = "Archived", archive_reason = "Went silent" }
        else
          ashby.advance_application{ application_id = id, stage = "Phone Screen", note = "moving on" }
        end
      end
      """)
    let r = try await run(["run", path], env: f.env, home: home)
    #expect(r.status == 0, "\(r.all)")
    #expect(try await Self.stage(f.fake, apps[0]).status == "Archived")
    let runID = try #require(try FreshState.open(stateSpec(home: home)).audit(AuditFilter()).first?.runID)
    let undo = home.appendingPathComponent("undo.json").path
    let u = try await run(["undo", runID, "--plan", undo], env: f.env, home: home)
    #expect(u.status == 0, "\(u.all)")
    #expect(u.stdout.contains("cannot be undone (2):"), "\(u.stdout)")
    #expect(u.stdout.contains("candidate.createNote"), "\(u.stdout)")
    let a = try await run(["apply", undo], env: f.env, home: home)
    #expect(a.status == 0, "\(a.all)")
    #expect(a.stdout.contains("4 applied"), "\(a.stdout)")
    for app in apps {
      let now = try await Self.stage(f.fake, app)
      #expect(now.stage == original[app] ?? nil, "\(app)")
      #expect(now.status == "Active", "\(app)")
    }
  }

  /// `plan_only`: the job's run saves a plan (in the file's `plans` folder and by id in the daemon's state),
  /// says where, and writes nothing; applying it makes the write.
  @Test func planOnlyJobsSavePlansAndWriteNothing() async throws {
    let f = try await FakeFixture.start()
    let s = try ScheduleTests.Setup(
      schedule: "plans = \"saved\"\n\n" + jobTable("hire", script: "hire.lua", cron: "0 3 * * *", "plan_only = true"))
    let r = try await run(["schedule", "trigger", "hire", "--file", s.file], env: f.env, home: s.home)
    #expect(r.status == 0, "\(r.all)")
    #expect(f.fake.count("candidate.create") == 0)
    let folder = s.work.appendingPathComponent("saved").path
    let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".plan.json") }
    #expect(files.count == 1 && files.first?.hasPrefix("hire-") == true, "\(files)")
    let file = folder + "/" + (files.first ?? "")
    #expect(r.all.contains("plan saved to \(file)"), "\(r.all)")
    let id = try #require(try JSONValue.decode(Data(contentsOf: URL(fileURLWithPath: file)))["id"]?.string)
    #expect(try FreshState.open(s.historyPath).plan(id) != nil)
    #expect(try FreshState.open(s.historyPath).runs(job: "hire").first?.dryRun == true)
    let a = try await run(["apply", id], env: f.env, home: s.home)
    #expect(a.status == 0, "\(a.all)")
    #expect(f.fake.count("candidate.create") == 1)
  }

  /// Two applies of one plan at once: the second is refused while the first runs; each write goes once.
  @Test func aPlanIsNotAppliedTwiceAtOnce() async throws {
    let f = try await FakeFixture.start()
    let home = try scratch()
    let (apps, plan) = try await Self.movePlan(f, count: 6, home: home)
    let first = try await Self.applyUnderWay(plan, f, home: home, once: 1)
    let second = try await run(["apply", plan], env: f.env, home: home)
    #expect(second.status != 0)
    #expect(second.stderr.contains("is being applied by run"), "\(second.all)")
    #expect(await ended(first, within: 60, what: "the first apply"))
    #expect(first.terminationStatus == 0)
    let sent = f.fake.requests(to: "application.changeStage").compactMap { $0.json["applicationId"]?.string }
    #expect(sent.sorted() == apps.sorted())
  }

  /// A plan is kept as it was saved: an edited file is not applied, and a write that sends a secret is not planned.
  @Test func anEditedPlanOrASecretIsRefused() async throws {
    let f = try await FakeFixture.start()
    let home = try scratch()
    let app = f.fake.seedIDs("application")[0]
    let path = try script("ashby.advance_application{ application_id = \"\(app)\", stage = \"Phone Screen\" }")
    let plan = home.appendingPathComponent("p.json").path
    #expect(try await run(["run", "--plan", plan, path], env: f.env, home: home).status == 0)
    let text = try String(contentsOfFile: plan, encoding: .utf8)
    let other = f.fake.seedIDs("application")[1]
    try text.replacingOccurrences(of: "\"applicationId\" : \"\(app)\"", with: "\"applicationId\" : \"\(other)\"")
      .write(toFile: plan, atomically: true, encoding: .utf8)
    #expect(try String(contentsOfFile: plan, encoding: .utf8) != text)
    let edited = try await run(["apply", plan], env: f.env, home: home)
    #expect(edited.status != 0)
    #expect(edited.stderr.contains("is not plan"), "\(edited.all)")
    #expect(f.fake.count("application.changeStage") == 0)

    let secret = home.appendingPathComponent("s.json").path
    let hook = try script(
      #"ashby.call("webhook.create", { webhookType = "applicationSubmit", requestUrl = "https://example.com/h", secretToken = "s3cr3t-value" })"#)
    let r = try await run(["run", "--plan", secret, hook], env: f.env, home: home)
    #expect(r.status == 1, "\(r.all)")
    #expect(r.stderr.contains("would send a secret (secretToken)"), "\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: secret))
  }

  @Test func theOldPlanJSONFlagSaysWhatReplacedIt() async throws {
    let r = try await run(["run", "--dry-run", "--plan-json", "x.json", "-e", "print(1)"])
    #expect(r.status == 2)
    #expect(r.stderr.contains("--plan-json is gone: use --plan FILE"), "\(r.stderr)")
  }
}
