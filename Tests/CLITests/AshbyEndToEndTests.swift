import AshbyFake
import AshbyTestSupport
import Foundation
import Testing

/// Lua scripts through the real binary against a fake Ashby this test owns.
@Suite(.teardown) struct AshbyEndToEndTests {
  @Test func theSixActionsAsTheServerSawThem() async throws {
    let f = try await FakeFixture.start()
    let job = f.fake.seedIDs("job")[0]
    let app = f.fake.seedIDs("application")[9]
    let path = try script(
      """
      local c = ashby.create_candidate{ first_name = "Ada", last_name = "Lovelace", email = "ada@example.com" }
      local a = ashby.create_application{ job_id = "\(job)", candidate_id = c.id, source = "Referral" }
      local moved = ashby.advance_application{ application_id = a.id, stage = "phone screen", note = "Strong" }
      local s = ashby.schedule_interview{ application_id = a.id, start_time = "2026-03-02T10:00:00-05:00",
        end_time = "2026-03-02T11:00:00-05:00", interviewer_email = "lee@example.com", location = "Room 1" }
      local j = ashby.get_job{ job_id = "\(job)" }
      local open = ashby.list_jobs{ status = "open" }.jobs
      print(c.name, a.job.id == j.id, moved.currentInterviewStage.title, s.interviewEvents[1].startTime, #open > 100)
      local other = ashby.advance_application{ application_id = "\(app)", stage = "Offer" }
      print(other.currentInterviewStage.title)
      """)
    let r = try await run(["run", path], env: f.env)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout == "Ada Lovelace\ttrue\tPhone Screen\t2026-03-02T15:00:00.000Z\ttrue\nOffer\n")
    let create = try #require(f.fake.requests(to: "candidate.create").first)
    #expect(create.json["name"]?.string == "Ada Lovelace")
    #expect(create.authorization == "Basic " + Data("\(FakeAshby.fullKey):".utf8).base64EncodedString())
    #expect(f.fake.requests(to: "application.create").first?.json["sourceId"]?.string != nil)
    #expect(f.fake.count("application.changeStage") == 2)
    #expect(f.fake.requests(to: "candidate.createNote").first?.json["note"]?.string == "Strong")
    let event = f.fake.requests(to: "interviewSchedule.create").first?.json["interviewEvents"]?.array?.first
    #expect(event?["startTime"]?.string == "2026-03-02T15:00:00.000Z")
    #expect(event?["extraData"]?["location"]?.string == "Room 1")
    #expect(f.fake.count("job.info") == 1)
    #expect(f.fake.count("job.list") == 2)  // 126 open jobs: two pages
    #expect(f.fake.stageTitle(ofApplication: app) == "Offer")
    #expect(f.fake.candidates(withEmail: "ada@example.com") == 1)
    await f.fake.stop()
  }

  @Test func pagesWrapIteratorsAndSortComparators() async throws {
    let f = try await FakeFixture.start()
    let path = try script(
      """
      local n = 0
      for _ in ashby.pages("application.list") do n = n + 1 end
      local function jobs_of(ids)
        return coroutine.wrap(function()
          for _, id in ipairs(ids) do coroutine.yield(ashby.get_job(id)) end
        end)
      end
      local ids = {}
      for i, job in ipairs(ashby.list_jobs{ status = "open" }.jobs) do if i <= 5 then ids[i] = job.id end end
      local titles = {}
      for job in jobs_of(ids) do titles[#titles + 1] = job.title end
      table.sort(ids, function(a, b) return ashby.get_job(a).title > ashby.get_job(b).title end)
      print(n, #titles, ashby.get_job(ids[1]).title >= ashby.get_job(ids[5]).title)
      """)
    let r = try await run(["run", path], env: f.env)
    #expect(r.status == 0, "\(r.stderr)")
    let n = f.fake.seedIDs("application").count
    #expect(r.stdout == "\(n)\t5\ttrue\n")
    let cursors = [nil] + (1..<((n + 99) / 100)).map { "c\($0 * 100)" }
    #expect(f.fake.requests(to: "application.list").map { $0.json["cursor"]?.string } == cursors)
    await f.fake.stop()
  }

  @Test func mapOverAHundredJobsRunsInParallel() async throws {
    let f = try await FakeFixture.start(latency: .milliseconds(20))
    let ids = f.fake.seedIDs("job").prefix(100).map { "\"\($0)\"" }.joined(separator: ",")
    func mapping(_ count: Int, concurrency: Int) throws -> String {
      try script(
        """
        local ids = table.move({ \(ids) }, 1, \(count), 1, {})
        local titles = ashby.map(ids, function(id) return ashby.get_job(id).title end, { concurrency = \(concurrency) })
        print(#titles, titles[1], titles[#titles])
        """)
    }
    // Baselines from this same machine and moment: start-up alone, and 20 calls one at a time.
    let startup = try await run(["run", "-e", "ashby.get_job('\(f.fake.seedIDs("job")[0])')"], env: f.env).seconds
    let sequential20 = try await run(["run", try mapping(20, concurrency: 1)], env: f.env)
    #expect(sequential20.status == 0)
    let r = try await run(["run", try mapping(100, concurrency: 10)], env: f.env)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout == "100\tBackend Engineer 1\tData Scientist 100\n")
    let perCall = max(sequential20.seconds - startup, 0.4) / 20  // never below the 20 ms latency
    let sequentialHundred = perCall * 100
    #expect(
      r.seconds - startup < sequentialHundred * 0.5,
      "100 calls took \(r.seconds - startup) s; one at a time ≈ \(sequentialHundred) s")
    await f.fake.stop()
  }

  @Test(arguments: [
    ("demo.lua", [String]()),
    ("pipeline-report.lua", []),
    ("pipeline-report.lua", ["--csv"]),
    ("open-jobs-digest.lua", []),
    ("advance-stale.lua", ["Application Review", "Phone Screen", "7"]),
    ("reject-stale.lua", ["Application Review", "7", "Went silent", "Rejection - standard"]),
    ("import-candidates.lua", ["scripts/data/candidates.csv", "Backend Engineer 1"]),
    ("schedule-interviews.lua", ["scripts/data/interview-plan.lua"]),
  ])
  func exampleScriptsRunGreen(name: String, args: [String]) async throws {
    let f = try await FakeFixture.start()
    let r = try await run(["run", "scripts/\(name)"] + args, env: f.env, cwd: packageRoot)
    #expect(r.status == 0, "\(name): \(r.stderr)")
    #expect(!r.stdout.isEmpty)
    await f.fake.stop()
  }

  @Test func exampleWritesLandAndDryRunsDoNot() async throws {
    let f = try await FakeFixture.start()
    let seededInterviews = f.fake.scheduleCount  // the demo account's calendar
    _ = try await run(
      ["run", "--dry-run", "scripts/advance-stale.lua", "Application Review", "Phone Screen", "0"], env: f.env,
      cwd: packageRoot)
    #expect(f.fake.count("application.changeStage") == 0)
    let r = try await run(
      ["run", "scripts/advance-stale.lua", "Application Review", "Phone Screen", "0"], env: f.env, cwd: packageRoot)
    #expect(r.status == 0)
    #expect(f.fake.count("application.changeStage") > 0)
    #expect(f.fake.count("application.changeStage") == f.fake.noteCount)
    let imported = try await run(
      ["run", "scripts/import-candidates.lua", "scripts/data/candidates.csv", "Backend Engineer 1"], env: f.env,
      cwd: packageRoot)
    #expect(imported.stdout.contains("3 created, 1 already there, 0 failed"))
    #expect(f.fake.candidates(withEmail: "barbara.liskov@example.net") == 1)
    let scheduled = try await run(
      ["run", "scripts/schedule-interviews.lua", "scripts/data/interview-plan.lua"], env: f.env, cwd: packageRoot)
    #expect(!scheduled.stdout.contains("FAILED"))
    #expect(f.fake.scheduleCount == seededInterviews + 3)
    await f.fake.stop()
  }

  @Test func theRejectionExampleArchivesWithAReasonAndItsDryRunWritesNothing() async throws {
    let f = try await FakeFixture.start()
    onTeardown { await f.fake.stop() }
    let args = ["scripts/reject-stale.lua", "Application Review", "0", "went silent", "Rejection - standard"]
    let dry = try await run(["run", "--dry-run"] + args, env: f.env, cwd: packageRoot)
    #expect(dry.status == 0, "\(dry.all)")
    #expect(dry.stderr.contains("writes planned, none sent"))
    #expect(f.fake.count("application.changeStage") == 0)
    let real = try await run(["run"] + args, env: f.env, cwd: packageRoot)
    #expect(real.status == 0, "\(real.all)")
    let moves = f.fake.requests(to: "application.changeStage")
    #expect(!moves.isEmpty)
    for move in moves {
      let app = try #require(move.json["applicationId"]?.string)
      #expect(move.json["archiveReasonId"]?.string == f.fake.seedIDs("archive_reason")[3])
      #expect(f.fake.archiveState(ofApplication: app).reason == "Went silent")
      #expect(f.fake.archiveState(ofApplication: app).status == "Archived")
    }
    #expect(f.fake.archiveEmails.count == moves.count)
    let typo = try await run(["run", args[0], "Phone Screen", "0", "went silentt"], env: f.env, cwd: packageRoot)
    #expect(typo.status != 0)
    #expect(typo.stderr.contains("unknown archive reason \"went silentt\""))
    #expect(f.fake.requests(to: "application.changeStage").count == moves.count)
  }
}
