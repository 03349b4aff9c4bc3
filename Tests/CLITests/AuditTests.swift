import AshbyFake
import AshbyJSON
import AshbyState
import AshbyTestSupport
import Foundation
import Testing

/// The audit log (docs/audit.md): every write from every origin recorded in the state before it is
/// sent, completed when the answer comes; `ashby-lua audit` reads it back; write caps refuse before sending.
@Suite(.teardown) struct AuditTests {
  /// `audit --json` under `home`, decoded.
  static func audit(_ args: [String] = [], home: URL, env: [String: String] = [:]) async throws -> [JSONValue] {
    let r = try await run(["audit", "--json"] + args, env: env, home: home)
    #expect(r.status == 0, "\(r.stderr)")
    return try JSONValue.decode(Data(r.stdout.utf8)).array ?? []
  }

  /// Every field of every row, as text: what must never hold a secret.
  static func everything(_ home: URL) throws -> String {
    let rows = try FreshState.open(stateSpec(home: home)).audit(AuditFilter(limit: 100_000))
    return rows.map { "\($0)" }.joined(separator: "\n")
  }

  @Test func aRunsWritesAreRecordedWithTheFieldsTheServerSaw() async throws {
    let f = try await FakeFixture.start()
    let home = try scratch()
    let app = f.fake.seedIDs("application")[3]
    let path = try script(
      """
      local c = ashby.create_candidate{ first_name = "Audit", last_name = "Me", email = "audit@example.com" }
      ashby.advance_application{ application_id = "\(app)", stage = "Phone Screen", note = "moved by a script" }
      ashby.call("candidate.createNote", { candidateId = c.id, note = "written through ashby.call" })
      print(c.id)
      """)
    let r = try await run(["run", path], env: f.env, home: home)
    #expect(r.status == 0, "\(r.stderr)")
    let candidate = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    let rows = try await Self.audit(home: home, env: f.env)
    // One call is one write: advance_application with a note is two.
    #expect(rows.compactMap { $0["endpoint"]?.string } == [
      "candidate.createNote", "candidate.createNote", "application.changeStage", "candidate.create",
    ])
    #expect(rows.compactMap { $0["action"]?.string } == ["advance_application", "advance_application", "create_candidate"])
    #expect(rows[0]["action"] == .null)  // ashby.call
    let runID = try #require(rows[0]["run_id"]?.string)
    let expectedHash = try await run(["-c", "sha256sum \(path) | cut -d' ' -f1"], executable: URL(fileURLWithPath: "/bin/sh"))
    for row in rows {
      #expect(row["origin"]?.string == "run")
      #expect(row["run_id"]?.string == runID)
      #expect(row["outcome"]?.string == "ok")
      #expect(row["script"]?.string == path)
      #expect(row["script_sha256"]?.string == expectedHash.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
      #expect(row["request_id"]?.string?.isEmpty == false)
      // The params as sent: what the fake received for that endpoint, field for field.
      let endpoint = try #require(row["endpoint"]?.string)
      let sent = f.fake.requests(to: endpoint).map { JSONValue.object($0.json) }
      #expect(sent.contains(row["params"] ?? .null), "\(endpoint): \(row["params"] ?? .null) not in \(sent)")
    }
    #expect(rows[3]["object_id"]?.string == candidate)
    #expect(rows[2]["object_id"]?.string == app)
    // The before-image advance_application read anyway: the stage it moved from.
    #expect(rows[2]["before"]?["stage"]?.string == "Application Review", "\(rows[2])")
    #expect(rows[3]["before"] == .null)
    #expect(rows[1]["before"] == .null)  // the note after the move changes no stage
    // Filters, and the person's view.
    #expect(try await Self.audit(["--run", runID, "--endpoint", "candidate.create"], home: home).count == 1)
    #expect(try await Self.audit(["--run", "nope"], home: home).isEmpty)
    #expect(try await Self.audit(["--since", "1h"], home: home).count == 4)
    #expect(try await Self.audit(["--since", "2999-01-01T00:00:00Z"], home: home).isEmpty)
    let shown = try await run(["audit"], home: home)
    #expect(shown.stdout.contains("ok                 run #\(runID)  create_candidate candidate.create → \(candidate)"), "\(shown.stdout)")
    #expect(try !Self.everything(home).contains(FakeAshby.fullKey))
  }

  @Test func aWriteCapRefusesTheThirdWriteBeforeItIsSent() async throws {
    let f = try await FakeFixture.start()
    let home = try scratch()
    let apps = f.fake.seedIDs("application").prefix(5).map { "\"\($0)\"" }.joined(separator: ", ")
    let uncaught = try script(
      "for _, id in ipairs{ \(apps) } do ashby.advance_application{ application_id = id, stage = \"Phone Screen\" } end")
    let r = try await run(["run", "--max-writes", "2", uncaught], env: f.env, home: home)
    #expect(r.status == 1, "\(r.all)")
    #expect(r.stderr.contains("at most 2 writes"), "\(r.stderr)")
    #expect(f.fake.count("application.changeStage") == 2)
    f.fake.clearLog()
    let caught = try script(
      """
      local refused = 0
      for _, id in ipairs{ \(apps) } do
        local ok, err = pcall(ashby.advance_application, { application_id = id, stage = "Phone Screen" })
        if not ok then assert(err.kind == "limit" and err.limit == "writes", err.message); refused = refused + 1 end
      end
      print("refused " .. refused)
      """)
    let p = try await run(["run", "--max-writes", "2", caught], env: f.env, home: home)
    #expect(p.status == 0, "\(p.all)")
    #expect(p.stdout == "refused 3\n")
    #expect(f.fake.count("application.changeStage") == 2)
    // Four sent; four refused (one uncaught, three caught), recorded as refused: never sent.
    let outcomes = try await Self.audit(home: home).compactMap { $0["outcome"]?.string }
    #expect(outcomes.filter { $0 == "ok" }.count == 4 && outcomes.filter { $0 == "refused" }.count == 4, "\(outcomes)")
    #expect(try await run(["audit"], home: home).stdout.contains("refused, not sent"))
  }

  @Test func anAmbiguousWriteIsRecordedAsSuch() async throws {
    let f = try await FakeFixture.start {
      $0.faults = [FakeFault(.reset, endpoint: "candidate.create", count: 1)]
    }
    let home = try scratch()
    let path = try script(
      """
      local ok, err = pcall(ashby.create_candidate, { first_name = "Maybe", last_name = "There", email = "maybe@example.com" })
      print(ok, err.kind)
      """)
    let r = try await run(["run", path], env: f.env, home: home)
    #expect(r.stdout == "false\tambiguous\n", "\(r.all)")
    #expect(f.fake.candidates(withEmail: "maybe@example.com") == 1)  // the fake applied it, then dropped the connection
    let rows = try await Self.audit(home: home)
    #expect(rows.count == 1)
    #expect(rows.first?["outcome"]?.string == "ambiguous")
  }

  /// `kill -9` between send and answer: the row written before sending stays, and says so.
  @Test func aRunKilledMidWriteLeavesItsRowPending() async throws {
    let f = try await FakeFixture.start(latency: .seconds(60))
    let home = try scratch()
    let path = try script(#"ashby.call("candidate.create", { name = "Never Answered" })"#)
    let (process, _) = try launch(["run", path], home: home, log: "run.log", environment: f.env)
    let seen = await eventually(60) {
      ((try? FreshState.open(stateSpec(home: home)).audit(AuditFilter())) ?? []).contains { $0.outcome == "pending" }
    }
    #expect(seen)
    kill(process.processIdentifier, SIGKILL)
    await ended(process, within: 30, what: "the killed run")
    let shown = try await run(["audit"], home: home)
    #expect(shown.stdout.contains("outcome unknown"), "\(shown.stdout)")
    #expect(try await Self.audit(home: home).first?["outcome"]?.string == "pending")
  }

  /// A state that cannot record the write: the write is not sent, and the error says why (kind `state`).
  @Test(arguments: ["/dev/null/state.sqlite", "postgres://ashby@127.0.0.1:9/ashby"])
  func aWriteIsNotSentWhenTheStateIsUnreachable(state: String) async throws {
    let f = try await FakeFixture.start()
    let path = try script(
      """
      print(#ashby.list_jobs{}.jobs > 0)
      local ok, err = pcall(ashby.create_candidate, { first_name = "Not", last_name = "Sent", email = "not@example.com" })
      print(ok, err.kind)
      ashby.create_candidate{ first_name = "Not", last_name = "Sent", email = "not@example.com" }
      """)
    let r = try await run(["run", "--state", state, path], env: f.env)
    #expect(r.stdout == "true\nfalse\tstate\n", "\(r.all)")
    #expect(r.status == 1)
    #expect(r.stderr.contains("the audit log cannot record this write, so it was not sent"), "\(r.stderr)")
    #expect(f.fake.count("candidate.create") == 0)
  }

  @Test func theOldStateSpellingSaysTheNewOne() async throws {
    let r = try await run(["run", "--state", "nightly", "-e", "print(1)"])
    #expect(r.status == 2)
    #expect(r.stderr.contains("use --feed nightly"), "\(r.stderr)")
  }

  @Test func theReplRecordsItsWrites() async throws {
    let f = try await FakeFixture.start()
    let home = try scratch()
    let repl = try PseudoTerminal(["repl"], env: f.env, home: home)
    try await repl.expect("> ")
    try await repl.enter(#"ashby.call("candidate.create", { name = "typed in" }).name:upper()"#, expecting: "TYPED IN")
    #expect(try await repl.quit() == 0)
    let rows = try await Self.audit(home: home)
    #expect(rows.count == 1)
    #expect(rows.first?["origin"]?.string == "repl")
    #expect(rows.first?["outcome"]?.string == "ok")
  }

  /// A scheduled job's writes carry the job and its history row's id; its `max_writes` shows in the history.
  @Test func aJobsWritesCarryTheJobAndItsCap() async throws {
    let f = try await FakeFixture.start()
    let s = try ScheduleTests.Setup(
      schedule: jobTable("hire", script: "hire.lua", cron: "0 3 * * *")
        + "\n\n" + jobTable("capped", script: "hire.lua", cron: "0 3 * * *", "max_writes = 0"))
    let r = try await run(["schedule", "trigger", "hire", "--file", s.file], env: f.env, home: s.home)
    #expect(r.status == 0, "\(r.all)")
    let run = try #require(try FreshState.open(s.historyPath).runs(job: "hire").first)
    let rows = try await Self.audit(["--job", "hire"], home: s.home)
    #expect(rows.count == 1)
    #expect(rows.first?["origin"]?.string == "job")
    #expect(rows.first?["job"]?.string == "hire")
    #expect(rows.first?["run_id"]?.string == run.id.map(String.init))
    let capped = try await AshbyTestSupport.run(["schedule", "trigger", "capped", "--file", s.file], env: f.env, home: s.home)
    #expect(capped.status != 0)
    let cappedRun = try #require(try FreshState.open(s.historyPath).runs(job: "capped").first)
    #expect(cappedRun.error?.contains("at most 0 writes") == true, "\(cappedRun)")
    #expect(f.fake.count("candidate.create") == 1)
  }

  /// A hook's writes carry the hook and its history row's id; neither the key nor the hook's secret (nor,
  /// on PostgreSQL, the state's password) is anywhere in the state.
  @Test func aHooksWritesCarryTheHookAndNoSecret() async throws {
    let d = try await HookDaemon(
      schedule: hookTable("welcome", script: "welcome.lua"),
      scripts: ["welcome.lua": #"ashby.create_candidate{ first_name = "Hook", last_name = "Made", email = "hook@example.com" }"#]
    ).ready()
    let answer = try await d.deliver("welcome", HookDaemon.body())
    #expect((200..<300).contains(answer.status), "\(answer)")
    #expect(await eventually(60) { d.runs("welcome").first?.status == .ok }, "\(d.log.suffix(2000))")
    let run = try #require(d.runs("welcome").first)
    let rows = try await Self.audit(["--hook", "welcome"], home: d.setup.home)
    #expect(rows.count == 1)
    #expect(rows.first?["origin"]?.string == "hook")
    #expect(rows.first?["hook"]?.string == "welcome")
    #expect(rows.first?["run_id"]?.string == run.id.map(String.init))
    #expect(rows.first?["outcome"]?.string == "ok")
    let stored = try Self.everything(d.setup.home)
    var secrets = [FakeAshby.fullKey, d.secret]
    if FreshState.onPostgres, let password = ProcessInfo.processInfo.environment["PGPASSWORD"] { secrets.append(password) }
    for secret in secrets {
      #expect(!stored.contains(secret))
      #expect(filesHolding(secret, under: d.setup.home).isEmpty)
    }
    await d.stop()
  }

  /// A parameter that holds a secret is sent, and kept in the log only as a mark that it was.
  @Test func aSecretParameterIsNotKept() async throws {
    let f = try await FakeFixture.start()
    let home = try scratch()
    let secret = "whsec-\(UUID().uuidString)"
    let path = try script(
      """
      ashby.call("webhook.create", { webhookType = "applicationSubmit", requestUrl = "https://example.com/h", secretToken = "\(secret)" })
      """)
    let r = try await run(["run", path], env: f.env, home: home)
    #expect(r.status == 0, "\(r.all)")
    #expect(f.fake.requests(to: "webhook.create").first?.json["secretToken"]?.string == secret)
    let rows = try await Self.audit(home: home)
    #expect(rows.first?["params"]?["secretToken"]?.string == "(secret, not kept)")
    #expect(rows.first?["params"]?["requestUrl"]?.string == "https://example.com/h")
    #expect(try !Self.everything(home).contains(secret))
    #expect(filesHolding(secret, under: home).isEmpty)
  }

  /// `audit_keep` in config.toml: a run that writes forgets older rows (never a pending one); a value
  /// out of range is said, and a year is kept meanwhile.
  @Test func auditKeepForgetsOlderRows() async throws {
    let f = try await FakeFixture.start()
    let home = try scratch()
    let path = try script(#"ashby.create_candidate{ first_name = "Keep", last_name = "Me", email = (...) }"#)
    #expect(try await run(["run", path, "first@example.com"], env: f.env, home: home).status == 0)
    // Opened anew for each look: `run` reads every file under the home for the key, and closing a
    // descriptor of the SQLite file would drop the POSIX locks of a connection kept open here.
    func rows() throws -> [AuditRecord] { try FreshState.open(stateSpec(home: home)).audit(AuditFilter()) }
    do {
      let store = try FreshState.open(stateSpec(home: home))
      let old = Date().addingTimeInterval(-3 * 86400)
      let done = try store.beginWrite(
        AuditRecord(time: old, runID: "old", origin: "run", endpoint: "candidate.create", params: "{}"))
      try store.endWrite(AuditEnding(id: done, outcome: "ok"))
      _ = try store.beginWrite(
        AuditRecord(time: old, runID: "unknown", origin: "run", endpoint: "candidate.create", params: "{}"))
    }
    let config = home.appendingPathComponent("config/ashby-lua")
    try FileManager.default.createDirectory(at: config, withIntermediateDirectories: true)
    let file = config.appendingPathComponent("config.toml")
    try "audit_keep = 400000\n".write(to: file, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
    let warned = try await run(["run", path, "second@example.com"], env: f.env, home: home)
    #expect(warned.stderr.contains("audit_keep must be a number of days"), "\(warned.stderr)")
    #expect(try rows().count == 4)
    try "audit_keep = \"2d\"\n".write(to: file, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
    #expect(try await run(["run", path, "third@example.com"], env: f.env, home: home).status == 0)
    #expect(try rows().map(\.runID).contains("old") == false)
    #expect(try rows().map(\.runID).contains("unknown"))  // pending: never forgotten
    #expect(try rows().count == 4)
  }
}
