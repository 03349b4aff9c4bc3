import AshbyCatalog
import AshbyFake
import AshbyScheduler
import Foundation
import AshbyTestSupport
import Testing

/// `ashby-lua schedule`: the real binary, real child runs, the fake Ashby over loopback.
@Suite struct ScheduleTests {
  /// A home folder with scripts and a schedule file in `work/`.
  struct Setup {
    let home: URL
    let work: URL
    var file: String { work.appendingPathComponent("schedules.toml").path }
    /// The daemon's state: a SQLite path, or a PostgreSQL URL when the suites run there.
    var historyPath: String { stateSpec(home: home) }

    init(schedule: String) throws {
      home = try scratch()
      work = home.appendingPathComponent("work")
      try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
      let scripts = [
        "hire.lua": """
        local c = ashby.create_candidate{ first_name = "Cron", last_name = "Job", email = arg[1] or "cron@example.com" }
        print("created " .. c.id)
        """,
        "here.lua": "assert(io.open('hire.lua')):close(); print('in the schedule folder')",
        "spin.lua": "while true do end",
        "stuck.lua": "os.execute('sleep 600')",
        "nap.lua": "ashby.sleep(30)",
        "fail.lua": "error({ kind = 'api', message = 'it broke' })",
        "mimic.lua": "error({ kind = 'limit', message = 'time limit of 1 s exceeded' })",
      ]
      for (name, text) in scripts {
        try text.write(to: work.appendingPathComponent(name), atomically: true, encoding: .utf8)
      }
      try schedule.write(toFile: work.appendingPathComponent("schedules.toml").path, atomically: true, encoding: .utf8)
    }
  }

  @Test func triggerRefusesAnOwnOptionInArgsAndDashDashPassesIt() async throws {
    let f = try await FakeFixture.start()
    let job = "script = \"echo.lua\"\ncron = \"@daily\""
    let s = try Setup(schedule: "[[job]]\nname = \"plain\"\n\(job)\nargs = [\"--\", \"--dry-run\"]\n")
    try "print('got', ...)".write(to: s.work.appendingPathComponent("echo.lua"), atomically: true, encoding: .utf8)
    let through = try await run(["schedule", "trigger", "plain", "--file", s.file], env: f.env, home: s.home)
    #expect(through.status == 0 && through.stdout.contains("got\t--dry-run\n"), "\(through.all)")

    try "[[job]]\nname = \"plain\"\n\(job)\nargs = [\"--dry-run\"]\n".write(toFile: s.file, atomically: true, encoding: .utf8)
    let refused = try await run(["schedule", "trigger", "plain", "--file", s.file], env: f.env, home: s.home)
    #expect(refused.status == 2, "\(refused.all)")
    #expect(!refused.stdout.contains("got"))
    #expect(refused.stderr.contains("\"--dry-run\" is an option of ashby-lua run"), "\(refused.all)")
  }

  @Test func aSandboxedJobThatReachesForAFileIsWarnedOfAndToldWhatToDo() async throws {
    let f = try await FakeFixture.start()
    let s = try Setup(schedule: "[[job]]\nname = \"boxed\"\nscript = \"here.lua\"\ncron = \"@daily\"\n")
    let validate = try await run(["schedule", "validate", "--file", s.file], home: s.home)
    #expect(validate.status == 0 && validate.stdout == "\(s.file): 1 job, no problems\n", "\(validate.all)")
    let script = s.work.appendingPathComponent("here.lua").path
    #expect(
      validate.stderr.contains(
        "warning: \(script):1: job \"boxed\" is sandboxed, and its script uses io.open, which a sandboxed run does not have"),
      "\(validate.all)")
    #expect(validate.stderr.contains("set sandbox = false for the job to allow it"))

    let r = try await run(["schedule", "trigger", "boxed", "--file", s.file], env: f.env, home: s.home)
    #expect(r.status == 1, "\(r.all)")
    #expect(r.stderr.contains("io.open is not available in a sandboxed run"), "\(r.all)")
    #expect(r.stderr.contains("scheduled jobs and hooks are sandboxed (set sandbox = false for this job or hook"))
  }

  /// One count everywhere: a dry run plans what the real run then records,
  /// counted as endpoint calls that write (a stage move with a note is two).
  @Test func aDryRunAndTheRealRunCountTheSameWrites() async throws {
    let f = try await FakeFixture.start()
    let apps = f.fake.seedIDs("application").prefix(2).map { "\"\($0)\"" }.joined(separator: ", ")
    let job = "script = \"moves.lua\"\ncron = \"@daily\""
    let s = try Setup(
      schedule: "[[job]]\nname = \"planned\"\n\(job)\ndry_run = true\n\n[[job]]\nname = \"real\"\n\(job)\n")
    try """
      for _, id in ipairs{ \(apps) } do
        ashby.advance_application{ application_id = id, stage = "Offer", note = "moved by the weekly job" }
      end
      ashby.create_candidate{ first_name = "Count", last_name = "Me", email = "count@example.com" }
      """.write(to: s.work.appendingPathComponent("moves.lua"), atomically: true, encoding: .utf8)
    let planned = try await run(["schedule", "trigger", "planned", "--file", s.file], env: f.env, home: s.home)
    #expect(planned.status == 0, "\(planned.all)")
    #expect(
      planned.stderr.contains(
        "dry run: 5 writes planned, none sent (2 application.changeStage, 2 candidate.createNote, 1 candidate.create)"),
      "\(planned.all)")
    let real = try await run(["schedule", "trigger", "real", "--file", s.file], env: f.env, home: s.home)
    #expect(real.status == 0, "\(real.all)")
    #expect(f.fake.requests.filter { Catalog.isWrite($0.endpoint) }.count == 5)
    let history = try await run(["schedule", "history", "--json"], env: f.env, home: s.home)
    var writes: [String: Int] = [:]
    for line in history.stdout.split(separator: "\n") {
      guard let record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
        let name = record["job"] as? String
      else { continue }
      writes[name] = record["writes"] as? Int
    }
    #expect(writes == ["planned": 5, "real": 5], "\(history.stdout)")
  }

  @Test func triggerRunsTheJobAndTheHistoryRecordsIt() async throws {
    let f = try await FakeFixture.start()
    let s = try Setup(
      schedule: """
        [[job]]
        name = "hire"
        script = "hire.lua"
        cron = "0 9 * * mon-fri"
        timezone = "Europe/Berlin"
        args = ["trigger@example.com"]

        [[job]]
        name = "here"
        script = "here.lua"
        sandbox = false
        cron = "@daily"
        """)
    let list = try await run(["schedule", "list", "--file", s.file], env: f.env, home: s.home)
    #expect(list.status == 0)
    #expect(
      list.stdout.contains("hire") && list.stdout.contains("0 9 * * mon-fri") && list.stdout.contains("never run"))

    let r = try await run(["schedule", "trigger", "hire", "--file", s.file], env: f.env, home: s.home)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("created "))
    #expect(r.stderr.contains(": ok in") && r.stderr.contains("hire#") && r.stderr.contains("1 write"))
    #expect(f.fake.candidates(withEmail: "trigger@example.com") == 1)

    let here = try await run(["schedule", "trigger", "here", "--file", s.file], env: f.env, home: s.home, cwd: s.home)
    #expect(here.status == 0 && here.stdout.contains("in the schedule folder"), "\(here.stderr)")

    let history = try await run(["schedule", "history", "--json", "--job", "hire"], env: f.env, home: s.home)
    let line = try #require(history.stdout.split(separator: "\n").first)
    let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    #expect(record["job"] as? String == "hire" && record["status"] as? String == "ok")
    #expect(record["trigger"] as? String == "manual" && record["writes"] as? Int == 1)
    let listed = try await run(["schedule", "list", "--file", s.file], env: f.env, home: s.home)
    #expect(listed.stdout.contains("ok ") && listed.stdout.contains("(1 write)"))
    await f.fake.stop()
  }

  @Test func theDaemonCatchesUpAndStopsRunningJobsOnSignal() async throws {
    let f = try await FakeFixture.start()
    let s = try Setup(
      schedule: """
        [defaults]
        timezone = "UTC"
        catch_up = "last"

        [[job]]
        name = "hire"
        script = "hire.lua"
        cron = "0 8 * * *"

        [[job]]
        name = "nap"
        script = "nap.lua"
        cron = "0 8 * * *"

        [[job]]
        name = "quiet"
        script = "hire.lua"
        cron = "0 8 * * *"
        catch_up = "none"
        """)
    let history = try FreshState.open(s.historyPath)
    let threeDaysAgo = Date().addingTimeInterval(-3 * 86400)
    for job in ["hire", "nap", "quiet"] { try history.setLastFire(job, threeDaysAgo) }

    // Stop it once the catch-up run is done and the nap is under way.
    let r = try await run(["schedule", "run", "--file", s.file], env: f.env, home: s.home) {
      let runs = (try? history.runs()) ?? []
      return runs.contains { $0.job == "hire" && $0.status == .ok } && runs.contains { $0.job == "nap" }
    }
    #expect(r.status == 0, "\(r.stderr)")
    // Not a bound on its time (a loaded machine may take long to catch up): the nap's interrupted row below shows
    // the stop did not wait out its 30 s.
    #expect(r.stderr.contains(": started (catching up on"))
    #expect(r.stderr.contains("quiet: 3 missed fires not run"))
    let runs = try history.runs()
    let hire = try #require(runs.first { $0.job == "hire" })
    #expect(hire.status == .ok && hire.trigger == .catchUp && hire.writes == 1)
    let nap = try #require(runs.first { $0.job == "nap" })
    #expect(nap.status == .interrupted)  // the daemon stopped while it ran: never retried
    // quiet's newest fire has its row: skipped, missed (catch_up = "none"); the ones before it only a log line.
    let quiet = runs.filter { $0.job == "quiet" }
    #expect(quiet.count == 1 && quiet[0].status == .skipped && quiet[0].error?.hasPrefix("missed: ") == true)
    #expect(f.fake.candidates(withEmail: "cron@example.com") == 1)
    #expect(try history.leaseHolder("nap", now: Date()) == nil)
    await f.fake.stop()
  }

  @Test func aRunawayScriptTimesOutAndFailuresAreRetried() async throws {
    let f = try await FakeFixture.start()
    let s = try Setup(
      schedule: """
        [[job]]
        name = "spin"
        script = "spin.lua"
        cron = "@hourly"
        timeout = 1

        [[job]]
        name = "fail"
        script = "fail.lua"
        cron = "@hourly"
        retries = 1
        retry_delay = 0.1
        """)
    let spin = try await run(["schedule", "trigger", "spin", "--file", s.file], env: f.env, home: s.home)
    #expect(spin.status == 1)
    #expect(spin.seconds < 20)
    let fail = try await run(["schedule", "trigger", "fail", "--file", s.file], env: f.env, home: s.home)
    #expect(fail.status == 1)
    let runs = try FreshState.open(s.historyPath).runs()
    #expect(runs.map(\.status) == [.failed, .timeout])
    #expect(runs[0].attempts == 2 && runs[0].error?.contains("it broke") == true)
    #expect(runs[1].error?.contains("time limit") == true)
    await f.fake.stop()
  }

  @Test func aScriptStuckInCIsStoppedByItsWatchdog() async throws {
    let s = try Setup(
      schedule: """
        [[job]]
        name = "stuck"
        script = "stuck.lua"
        sandbox = false
        cron = "@hourly"
        timeout = 1
        """)
    let r = try await run(["schedule", "trigger", "stuck", "--file", s.file], home: s.home)
    #expect(r.status == 1)
    // The child's watchdog ends it at 1.5 s; without it the run would last its 600 s sleep. The bound
    // is against that, with room for a loaded machine (17.9 s was seen against 10 with a build beside).
    #expect(r.seconds < 120)
    let run = try #require(try FreshState.open(s.historyPath).runs().first)
    #expect(run.status == .timeout)
    #expect(run.error == "limit: time limit of 1 s exceeded")
  }

  /// `timeout` is what the host's time limit ended, read from the child's
  /// typed report, not an error that only reads like one.
  @Test func anErrorThatReadsLikeTheTimeLimitIsAFailureNotATimeout() async throws {
    let s = try Setup(
      schedule: """
        [[job]]
        name = "mimic"
        script = "mimic.lua"
        cron = "@hourly"
        """)
    #expect(try await run(["schedule", "trigger", "mimic", "--file", s.file], home: s.home).status == 1)
    let runs = try FreshState.open(s.historyPath).runs()
    #expect(runs.map(\.status) == [.failed])
    #expect(runs.first?.error?.contains("time limit") == true)
  }

  @Test func aBadFileIsAUsageErrorWithLineAndKey() async throws {
    let s = try Setup(
      schedule: """
        [[job]]
        name = "hire"
        script = "hire.lua"
        cron = "0 9 * * funday"
        """)
    let r = try await run(["schedule", "run", "--file", s.file], home: s.home)
    #expect(r.status == 2)
    #expect(r.stderr.contains("schedules.toml:4: job \"hire\".cron: day-of-week field \"funday\""))
    let unknown = try await run(["schedule", "trigger", "nope", "--file", s.file], home: s.home)
    #expect(unknown.status == 2)
  }
}
