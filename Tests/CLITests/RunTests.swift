import AshbyCatalog
import AshbyFake
import AshbyJSON
import AshbyTestSupport
import Foundation
import Testing

@Suite struct RunTests {
  @Test func argumentsReachArgAndVarargs() async throws {
    let path = try script("print(arg[0]:match('[^/]+$'), arg[1], arg[2], select('#', ...), ...)")
    let r = try await run(["run", path, "one", "two words"])
    #expect(r.status == 0)
    #expect(r.stdout == "script.lua\tone\ttwo words\t2\tone\ttwo words\n")
  }

  @Test func executeChunksRunFirstAndCanStandAlone() async throws {
    let r = try await run(["run", "-e", "x = 20", "-e", "print(x + 1)"])
    #expect(r.stdout == "21\n")
    let path = try script("print(x * 2)")
    #expect(try await run(["run", "-e", "x = 5", path]).stdout == "10\n")
  }

  @Test func scriptFromStandardInput() async throws {
    let r = try await run(
      ["run", "-", "a"], stdin: "#!/usr/bin/env ashby-lua run\nprint('stdin', ...)\nerror('line 3')")
    #expect(r.stdout == "stdin\ta\n")
    #expect(r.stderr.contains("stdin:3: line 3"))
    #expect(r.status == 1)
  }

  @Test func aShebangLineIsIgnoredAndLineNumbersStay() async throws {
    let path = try script("#!/usr/bin/env ashby-lua run\nprint('ok')\nerror('here')")
    let r = try await run(["run", path])
    #expect(r.stdout == "ok\n")
    #expect(r.stderr.contains("script.lua:3: here"))
  }

  @Test func uncaughtErrorsPrintMessageAndTracebackAndExit1() async throws {
    let path = try script("local function inner()\n  error('boom')\nend\nlocal function outer() inner() end\nouter()")
    let r = try await run(["run", path])
    #expect(r.status == 1)
    #expect(r.stderr.hasPrefix("ashby-lua: "))
    #expect(r.stderr.contains("script.lua:2: boom"))
    #expect(r.stderr.contains("stack traceback:"))
    #expect(r.stderr.contains("script.lua:4: in local 'outer'") || r.stderr.contains("script.lua:4:"))
    #expect(!r.stderr.contains("[C]: in ?"))
  }

  @Test func exitCodes() async throws {
    #expect(try await run(["run", "-e", "print(1)"]).status == 0)
    #expect(try await run(["run", "-e", "error('x')"]).status == 1)
    #expect(try await run(["run", "-e", "os.exit(7)"]).status == 7)
    #expect(try await run(["run", "-e", "os.exit(true)"]).status == 0)
    #expect(try await run(["run"]).status == 2)
    #expect(try await run(["run", "--timeout", "-1", "-e", "1"]).status == 2)
    #expect(try await run(["no-such-command"]).status == 2)
    let auth = try await run(["run", "-e", "ashby.list_jobs()"], env: ["ASHBY_BASE_URL": "http://127.0.0.1:9"])
    #expect(auth.status == 3)
    #expect(auth.stderr.contains("auth"))
    #expect(auth.stderr.contains("ashby-lua auth login"))
    let caught = try await run(["run", "-e", "print(pcall(ashby.list_jobs))"])
    #expect(caught.status == 0)
    #expect(caught.stdout.hasPrefix("false\tashby.list_jobs: auth: "))
  }

  @Test func ctrlCExits130() async throws {
    // Interrupted once the script runs (its runner watches SIGINT from before it starts).
    let r = try await run(
      ["run", "-e", "io.stderr:write('started\\n'); ashby.sleep(120)"], interrupts: [0.2], marker: "started")
    #expect(r.status == 130)
    #expect(r.seconds < 60)  // far from the 120 s the sleep would take, even on a loaded machine
    #expect(r.stderr.contains("interrupted"))
  }

  @Test func timeoutStopsAScriptThatCatchesEverything() async throws {
    let r = try await run([
      "run", "--timeout", "0.3", "-e", "while true do pcall(function() while true do end end) end",
    ])
    #expect(r.status == 1)
    #expect(r.stderr.contains("limit: time limit of 0.3 s exceeded"))
  }

  @Test func memoryCap() async throws {
    let r = try await run([
      "run", "--max-memory", "32", "-e", "local t = {} for i = 1, 1e8 do t[i] = ('x'):rep(100) .. i end",
    ])
    #expect(r.status == 1)
    #expect(r.stderr.contains("limit: memory limit of 32 MB exceeded"))
  }

  @Test func sandboxFlag() async throws {
    let r = try await run(["run", "--sandbox", "-e", "print(rawget(io, 'open'), rawget(os, 'execute')) io.open('x')"])
    #expect(r.stdout == "nil\tnil\n")
    #expect(r.status == 1)
    #expect(r.stderr.contains("io.open is not available in a sandboxed run: print and io.write still write the standard streams"), "\(r.all)")
    #expect(r.stderr.contains("--sandbox was given (run without it for full access)"))
  }

  @Test func fakeNeedsNoKey() async throws {
    let r = try await run(["run", "--fake", "-e", "print(#ashby.list_jobs{ status = 'open' }.jobs > 0)"])
    #expect(r.status == 0)
    #expect(r.stdout == "true\n")
  }

  @Test func verbosePrintsOneLinePerCall() async throws {
    let f = try await FakeFixture.start()
    let id = f.fake.seedIDs("job")[0]
    let r = try await run(
      ["run", "--verbose", "-e", "ashby.get_job('\(id)'); pcall(ashby.get_job, 'nope')"], env: f.env)
    let lines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("ashby: job.info") }
    #expect(lines.count == 2)
    #expect(lines.first?.contains(" 200 ") == true)
    #expect(lines.first?.hasSuffix(" ms") == true)
    await f.fake.stop()
  }

  @Test func dryRunSendsNoWritesAndPrintsThePlan() async throws {
    let f = try await FakeFixture.start()
    let app = f.fake.seedIDs("application")[4]
    let dir = try scratch()
    let plan = dir.appendingPathComponent("plan.json").path
    let path = try script(
      """
      local c = ashby.create_candidate{ first_name = "Dry", last_name = "Run", email = "dry@example.com" }
      ashby.advance_application{ application_id = "\(app)", stage = "Offer", note = "n" }
      print(c.id, c.dry_run, ashby.dry_run)
      """)
    let r = try await run(["run", "--plan", plan, path], env: f.env, home: dir)
    #expect(r.status == 0)
    #expect(r.stdout == "dry-run-candidate-1\ttrue\ttrue\n")
    #expect(
      r.stderr.contains(
        "dry run: 3 writes planned, none sent (1 application.changeStage, 1 candidate.create, 1 candidate.createNote)"),
      "\(r.all)")
    #expect(r.stderr.contains("1. create_candidate"))
    #expect(r.stderr.contains("2. advance_application"))
    #expect(f.fake.requests.filter { Catalog.isWrite($0.endpoint) }.isEmpty)
    // The plan: endpoint by endpoint, with the params a real run would send.
    let json = try JSONValue.decode(Data(contentsOf: URL(fileURLWithPath: plan)))
    let writes = json["writes"]?.array ?? []
    #expect(writes.compactMap { $0["endpoint"]?.string } == [
      "candidate.create", "application.changeStage", "candidate.createNote",
    ])
    #expect(writes.compactMap { $0["action"]?.string } == [
      "create_candidate", "advance_application", "advance_application",
    ])
    #expect(writes.first?["params"] == ["name": "Dry Run", "email": "dry@example.com"])
    #expect(writes.first?["creates"]?.string == "dry-run-candidate-1")
    #expect(writes[1]["before"]?["stage"]?.string != nil)
    await f.fake.stop()
  }

  @Test func checkReportsSyntaxErrorsLikeLuacP() async throws {
    let good = try script("print('fine')", name: "good.lua")
    let bad = try script("local x = = 1", name: "bad.lua")
    #expect(try await run(["check", good]).status == 0)
    let r = try await run(["check", good, bad])
    #expect(r.status == 1)
    #expect(r.stderr.contains("bad.lua:1:"))
  }

  @Test func typesPrintsTheCheckedInStubs() async throws {
    let r = try await run(["types"])
    let file = try String(contentsOf: packageRoot.appendingPathComponent("stdlib/ashby.meta.lua"), encoding: .utf8)
    #expect(r.stdout == file)
  }

  @Test func helpPrintsParameters() async throws {
    let r = try await run(["run", "-e", "ashby.help(ashby.create_candidate)"])
    for word in [
      "first_name", "last_name", "email", "phone", "resume_url", "candidate.create", "candidatesWrite", "Example",
    ] {
      #expect(r.stdout.contains(word), "missing \(word)")
    }
    #expect(try await run(["run", "-e", "ashby.help()"]).stdout.contains("list_jobs"))
    #expect(try await run(["run", "-e", "ashby.help('map')"]).stdout.contains("concurrency"))
  }

  /// The help is pinned whole, as swift-argument-parser's own tests pin theirs:
  /// a flag that goes, a line that changes, a subcommand the handover hides
  /// shows here. After a deliberate change: `ashby-lua --help > Tests/CLITests/Golden/help.txt`
  /// (and `run --help`, `schedule --help` the same way).
  @Test(arguments: [
    (["--help"], "help.txt"), (["run", "--help"], "run-help.txt"), (["schedule", "--help"], "schedule-help.txt"),
  ])
  func helpOutputIsPinned(args: [String], golden: String) async throws {
    let r = try await run(args)
    #expect(r.status == 0)
    let expected = try String(
      contentsOf: packageRoot.appendingPathComponent("Tests/CLITests/Golden/\(golden)"), encoding: .utf8)
    #expect(r.stdout == expected, "`ashby-lua \(args.joined(separator: " "))` differs from Golden/\(golden)")
  }

}
