import AshbyFake
import AshbyJSON
import AshbyTestSupport
import Foundation
import Testing

/// A recruiting-operations user's first week, from the README's way of writing scripts, against the fake.
@Suite(.teardown) struct FirstWeekTests {
  static let welcome = """
    local app = ashby.event.data.application
    ashby.call("candidate.createNote", { candidate_id = app.candidate.id, note = "Welcome, " .. app.candidate.name })
    print("welcomed " .. app.candidate.id .. " on " .. (...).action)
    """

  /// Applications in a stage for more than N days, by their stage history (not their last activity).
  @Test func staleApplicationsAreFoundByStageHistoryDryRunFirst() async throws {
    let f = try await FakeFixture.start()
    let days = 7
    let inReview = f.fake.applications(inStage: "Application Review")
    let stale = inReview.filter { id in
      guard let text = f.fake.enteredCurrentStage(ofApplication: id), let entered = Timestamps.parse(text) else { return false }
      return Date().timeIntervalSince(entered) >= Double(days * 86_400)
    }
    #expect(!stale.isEmpty && stale.count < inReview.count, "the seeded account has both: \(stale.count) of \(inReview.count)")
    let args = ["scripts/advance-stale.lua", "Application Review", "Phone Screen", String(days)]
    let dry = try await run(["run", "--dry-run"] + args, env: f.env, cwd: packageRoot)
    #expect(dry.status == 0 && dry.stdout.contains("\(stale.count) applications in \"Application Review\""), "\(dry.all)")
    #expect(f.fake.count("application.changeStage") == 0 && f.fake.count("application.listHistory") == inReview.count)
    let real = try await run(["run"] + args, env: f.env, cwd: packageRoot)
    #expect(real.status == 0, "\(real.stderr)")
    #expect(f.fake.requests(to: "application.changeStage").compactMap { $0.json["applicationId"]?.string }.sorted() == stale.sorted())
    #expect(stale.allSatisfy { f.fake.stageTitle(ofApplication: $0) == "Phone Screen" })
    #expect(f.fake.noteContents.allSatisfy { $0.contains("after \(days) days in the stage") } && f.fake.noteCount == stale.count)
  }

  /// A hook's script run by itself: a sample of a webhook type, or a payload file.
  @Test func aHookScriptRunsWithASampleEventOrAPayloadFile() async throws {
    let path = try script(Self.welcome, name: "welcome.lua")
    let sampled = try await run(["run", "--fake", "--event", "applicationSubmit", path])
    #expect(sampled.status == 0 && sampled.stdout.hasPrefix("welcomed cand-") && sampled.stdout.contains("on applicationSubmit"), "\(sampled.all)")

    let f = try await FakeFixture.start()
    let body = try #require(f.fake.sampleEvent("applicationSubmit"))
    let file = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("event.json")
    try body.write(to: file)
    let fromFile = try await run(["run", "--event", file.path, path], env: f.env)
    #expect(fromFile.status == 0 && fromFile.stdout.contains("on applicationSubmit"), "\(fromFile.all)")
    #expect(f.fake.noteContents.count == 1 && f.fake.noteContents[0].hasPrefix("Welcome, "))

    let missingFile = try await run(["run", "--fake", "--event", "candidateHire.json", path])
    #expect(missingFile.status == 2 && missingFile.stderr.contains("candidateHire.json: no such file\n"), "\(missingFile.stderr)")
    let typo = try await run(["run", "--fake", "--event", "applicationSubmitted", path])
    #expect(typo.status == 2 && typo.stderr.contains("(did you mean applicationSubmit?)"), "\(typo.stderr)")
    let real = try await run(["run", "--event", "candidateHire", path], env: f.env)
    #expect(real.status == 2 && real.stderr.contains("add --fake, or give a payload file"), "\(real.stderr)")
    try Data(#"{"data": {}}"#.utf8).write(to: file)
    let noAction = try await run(["run", "--event", file.path, path], env: f.env)
    #expect(noAction.status == 2 && noAction.stderr.contains(#"needs "action""#), "\(noAction.stderr)")
  }

  /// `hook test NAME --event TYPE` delivers a signed sample through the daemon: the script really runs.
  @Test func hookTestWithAnEventRunsTheScriptThroughTheDaemon() async throws {
    let d = try await HookDaemon(
      schedule: hookTable("welcome", events: ["applicationSubmit"], script: "welcome.lua"),
      scripts: ["welcome.lua": Self.welcome]
    ).ready()
    onTeardown { await d.stop() }
    let url = "http://127.0.0.1:\(d.port)/hooks/welcome"
    let unset = try await run(["hook", "test", "welcome", "--event", "applicationSubmit", "--url", url, "--file", d.setup.file], home: d.setup.home)
    #expect(unset.status == 2 && unset.stderr.contains("SECRET_ENV (secret_env) is not set"), "\(unset.stderr)")
    let sent = try await run(
      ["hook", "test", "welcome", "--event", "applicationSubmit", "--url", url, "--file", d.setup.file],
      env: ["SECRET_ENV": d.secret], home: d.setup.home)
    #expect(sent.status == 0 && sent.stdout.contains(": 200"), "\(sent.all)")
    #expect(await eventually(60) { d.fake.fake.noteContents.contains { $0.hasPrefix("Welcome, ") } }, "\(d.log)")
    let bad = try await run(["hook", "test", "welcome", "--event", "nope", "--file", d.setup.file], home: d.setup.home)
    #expect(bad.status == 2 && bad.stderr.contains("not a webhook type"), "\(bad.stderr)")
  }

  /// Polish found on the way: each of these said too little, or too much.
  @Test func namesAndSlipsGetTheAnswerTheUserNeeded() async throws {
    let unknown = try await run(["run", "--fake", "-e", "ashby.list_applications()"])
    #expect(unknown.stderr.contains(#"(to list applications: for item in ashby.pages("application.list") do … end)"#), "\(unknown.stderr)")
    let words = try await run(["run", "--fake", "-e", #"ashby.call("candidate.addNote", {})"#])
    #expect(words.stderr.contains(#"(did you mean "candidate.createNote"?)"#), "\(words.stderr)")
    let s = try ScheduleTests.Setup(
      schedule: jobTable("hire", script: "hire.lua", cron: "0 9 * * mon-fri", #"timezone = "America/NewYork""#))
    let zone = try await run(["schedule", "validate", "--file", s.file], home: s.home)
    #expect(zone.status == 2 && zone.stderr.contains(#"(did you mean "America/New_York"?)"#), "\(zone.stderr)")
    let repl = try await run(["repl", "--fake"], stdin: "help\n1 + 1\nexit\n2 + 40\n")
    #expect(repl.stdout.contains(":help") && repl.stdout.contains("2\n") && !repl.stdout.contains("42"), "\(repl.all)")
    #expect(!repl.stdout.contains("nil"))
  }

  /// `auth login --base-url` keeps the URL with the key: `auth status` then asks the same Ashby.
  @Test func loginKeepsTheBaseURLWithTheKey() async throws {
    let f = try await FakeFixture.start()
    let home = try scratch()
    let url = f.fake.baseURL.absoluteString
    let login = try await run(["auth", "login", "--base-url", url], stdin: FakeAshby.fullKey + "\n", home: home)
    #expect(login.status == 0, "\(login.stderr)")
    let status = try await run(["auth", "status"], home: home)
    #expect(status.status == 0 && status.stdout.contains("works: yes"), "\(status.all)")
    #expect(f.fake.count("apiKey.info") == 2)
    // An empty --base-url (an unset variable in a setup script) is no URL: nothing breaks later.
    let empty = try await run(["auth", "login", "--base-url", ""], stdin: FakeAshby.fullKey + "\n", env: ["ASHBY_BASE_URL": url], home: home)
    #expect(empty.status == 0, "\(empty.all)")
    #expect(try await run(["auth", "status"], home: home).stdout.contains("works: yes"))
  }

  /// A weekly per-source report as CSV and HTML, and a summary posted to a notify target the
  /// script only names (its URL in config.toml's `url_env`; the fake's sink receives it).
  @Test func aWeeklyPerSourceReportIsWrittenAndPosted() async throws {
    let f = try await FakeFixture.start()
    let home = try scratch()
    let config = home.appendingPathComponent("config/ashby-lua")
    try FileManager.default.createDirectory(at: config, withIntermediateDirectories: true)
    try "[notify.recruiting]\nurl_env = \"RECRUITING_WEBHOOK\"\n".write(
      to: config.appendingPathComponent("config.toml"), atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: config.appendingPathComponent("config.toml").path)
    let out = home.appendingPathComponent("out")
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    let report = try script(
      """
      local by_source = {}
      for a in ashby.pages("application.list") do
        local source = a.source and a.source.title or "(none)"
        by_source[source] = (by_source[source] or 0) + 1
      end
      local rows = {}
      for _, source in ipairs(ashby.util.sorted_keys(by_source)) do
        rows[#rows + 1] = { source = source, applications = by_source[source] }
      end
      local dir = arg[1]
      ashby.csv.write(dir .. "/sources.csv", rows, { columns = { "source", "applications" } })
      ashby.report.html(dir .. "/sources.html", { title = "Applications by source", sections = {
        { title = "This week", bar = rows, label = "source", value = "applications" } } })
      ashby.notify("recruiting", ("Weekly sources: %d sources, report at %s/sources.html"):format(#rows, dir))
      """, name: "weekly.lua")
    let sink = f.fake.baseURL.appendingPathComponent("_sink/recruiting").absoluteString
    let r = try await run(["run", report, out.path], env: f.env.merging(["RECRUITING_WEBHOOK": sink]) { _, b in b }, home: home)
    #expect(r.status == 0, "\(r.all)")
    let csv = try String(contentsOf: out.appendingPathComponent("sources.csv"), encoding: .utf8)
    #expect(csv.hasPrefix("source,applications\r\n") && csv.contains("LinkedIn,"), "\(csv)")
    let html = try String(contentsOf: out.appendingPathComponent("sources.html"), encoding: .utf8)
    #expect(html.contains("Applications by source"))
    let posted = f.fake.sinkMessages
    #expect(posted.count == 1 && posted.first?.target == "recruiting", "\(posted)")
    let text = try #require(posted.first.flatMap { try? JSONValue.decode(Data($0.body.utf8)) }?["text"]?.string)
    #expect(text.hasPrefix("Weekly sources: 5 sources"), "\(text)")
    #expect(!r.all.contains(sink), "the target's URL is a secret")
    // A dry run posts nothing and says what it would have posted.
    let dry = try await run(["run", "--dry-run", report, out.path], env: f.env.merging(["RECRUITING_WEBHOOK": sink]) { _, b in b }, home: home)
    #expect(dry.status == 0 && dry.stderr.contains("would post to recruiting") && f.fake.sinkMessages.count == 1, "\(dry.all)")
    // With --fake, demo data goes to that fake's own sink, never to a configured target.
    let demo = try await run(["run", "--fake", "-e", "ashby.notify('recruiting', 'demo')"], env: ["RECRUITING_WEBHOOK": sink], home: home)
    #expect(demo.status == 0 && f.fake.sinkMessages.count == 1, "\(demo.all)")
    // A target not configured is an argument error that says where to configure it.
    let missing = try await run(["run", "-e", "ashby.notify('elsewhere', 'x')"], env: f.env, home: home)
    #expect(missing.status == 1 && missing.stderr.contains("add [notify.elsewhere] with url_env or url_command"), "\(missing.stderr)")
  }

  /// A weekday 09:00 New York job: validated, listed, triggered, with its history and logs.
  @Test func aWeekdayMorningNewYorkJobRunsAndIsRecorded() async throws {
    let f = try await FakeFixture.start()
    let s = try ScheduleTests.Setup(
      schedule: jobTable(
        "digest", script: "hire.lua", cron: "0 9 * * mon-fri", #"timezone = "America/New_York""#,
        #"args = ["digest@example.com"]"#))
    let valid = try await run(["schedule", "validate", "--file", s.file], home: s.home)
    #expect(valid.status == 0, "\(valid.all)")
    let list = try await run(["schedule", "list", "--file", s.file], env: f.env, home: s.home)
    #expect(list.stdout.contains("digest") && list.stdout.contains("0 9 * * mon-fri") && list.stdout.contains("09:00"), "\(list.stdout)")
    let fired = try await run(["schedule", "trigger", "digest", "--file", s.file], env: f.env, home: s.home)
    #expect(fired.status == 0 && f.fake.candidates(withEmail: "digest@example.com") == 1, "\(fired.all)")
    let history = try await run(["schedule", "history", "--job", "digest"], env: f.env, home: s.home)
    #expect(history.stdout.contains("digest") && history.stdout.contains("ok"), "\(history.all)")
    let logs = try await run(["schedule", "logs", "digest"], home: s.home)
    #expect(logs.stdout.contains("created ") && logs.stderr.hasPrefix("digest#"), "\(logs.all)")
    #expect(!logs.stderr.contains("ok, ok"), "the status once: \(logs.stderr)")
  }

  /// A read-only key that tries to write is told which permission it lacks, and nothing is written.
  @Test func aReadOnlyKeyIsToldWhichPermissionItLacks() async throws {
    let f = try await FakeFixture.start()
    let r = try await run(
      ["run", "-e", "ashby.create_candidate{ first_name = 'R', last_name = 'O', email = 'ro@example.com' }"],
      env: ["ASHBY_BASE_URL": f.fake.baseURL.absoluteString, "ASHBY_API_KEY": FakeAshby.readOnlyKey])
    #expect(r.status != 0 && r.stderr.contains("permission") && r.stderr.contains("candidatesWrite"), "\(r.stderr)")
    #expect(f.fake.candidates(withEmail: "ro@example.com") == 0)
  }
}

/// `[notify.NAME]` in schedules.toml: the daemon resolves the URL and hands it to the run on its input;
/// the run's environment never holds it; an `on_failure` script can notify too.
@Suite(.teardown) struct ScheduledNotifyTests {
  @Test func aScheduledRunAndItsOnFailureNotifyTargetsOfTheScheduleFile() async throws {
    let f = try await FakeFixture.start()
    let s = try ScheduleTests.Setup(
      schedule: """
        [notify.team]
        url_env = "TEAM_WEBHOOK"

        \(jobTable("report", script: "report.lua", cron: "@daily", "sandbox = false"))

        \(jobTable("broken", script: "fail.lua", cron: "@daily", #"on_failure = "alert.lua""#))
        """)
    try """
      ashby.notify("team", "weekly report ready; the URL in my environment: " .. tostring(os.getenv("TEAM_WEBHOOK")))
      """.write(to: s.work.appendingPathComponent("report.lua"), atomically: true, encoding: .utf8)
    try """
      local run = ashby.json.decode(arg[1])
      ashby.notify("team", ("%s failed: %s"):format(run.job, run.error or "?"))
      """.write(to: s.work.appendingPathComponent("alert.lua"), atomically: true, encoding: .utf8)
    let sink = f.fake.baseURL.appendingPathComponent("_sink/team").absoluteString
    let env = f.env.merging(["TEAM_WEBHOOK": sink]) { _, b in b }
    let report = try await run(["schedule", "trigger", "report", "--file", s.file], env: env, home: s.home)
    #expect(report.status == 0, "\(report.all)")
    let first = try #require(f.fake.sinkMessages.first)
    #expect(first.target == "team" && first.body.contains("my environment: nil"), "\(first.body)")
    let broken = try await run(["schedule", "trigger", "broken", "--file", s.file], env: env, home: s.home)
    #expect(broken.status != 0)
    #expect(await eventually(30) { f.fake.sinkMessages.count == 2 }, "\(broken.all)")
    #expect(f.fake.sinkMessages.last?.body.contains("broken failed: ") == true, "\(f.fake.sinkMessages)")
    // The variable unset: the trigger says which, and runs nothing.
    let unset = try await run(["schedule", "trigger", "report", "--file", s.file], env: f.env, home: s.home)
    #expect(unset.status == 2 && unset.stderr.contains("TEAM_WEBHOOK (url_env) is not set"), "\(unset.stderr)")
  }

  @Test func badNotifyTablesAreReportedWithTheirKey() async throws {
    let s = try ScheduleTests.Setup(
      schedule: """
        [notify.both]
        url_env = "A"
        url_command = "b"

        [notify.typo]
        url_evn = "A"

        \(jobTable("hire", script: "hire.lua", cron: "@daily"))
        """)
    let r = try await run(["schedule", "validate", "--file", s.file], home: s.home)
    #expect(r.status == 2, "\(r.all)")
    #expect(r.stderr.contains("notify.both") && r.stderr.contains("needs one of url_env and url_command"), "\(r.stderr)")
    #expect(r.stderr.contains("notify.typo.url_evn: unknown key"), "\(r.stderr)")
  }
}
