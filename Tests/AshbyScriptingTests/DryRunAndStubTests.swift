import AshbyCatalog
import AshbyFake
import AshbyKit
import AshbyScripting
import AshbyStdlib
import AshbyTestSupport
import Foundation
import LuaHost
import Testing

@Suite(.teardown) struct DryRunTests {
  @Test func writesNeverReachTheServerAndThePlanListsEveryOne() async throws {
    let s = try await Session.start(dryRun: true)
    onTeardown { await s.stop() }
    let app = s.fake.seedIDs("application")[2]
    let job = s.fake.seedIDs("job")[0]
    let seeded = s.fake.candidateCount
    let r = try await s.run(
      """
      assert(ashby.dry_run == true)
      assert(not pcall(function() ashby.dry_run = false end))
      local c = ashby.create_candidate{ first_name = "Dry", last_name = "Run", email = "dry@example.com" }
      local a = ashby.create_application{ job_id = "\(job)", candidate_id = c.id, source = "Referral" }
      local moved = ashby.advance_application{ application_id = "\(app)", stage = "Onsite", note = "looks good" }
      local s = ashby.schedule_interview{ application_id = "\(app)", start_time = "2026-03-02T15:00:00Z",
        end_time = "2026-03-02T16:00:00Z", interviewer_email = "lee@example.com" }
      local raw = ashby.call("candidate.createNote", { candidateId = "x", note = "raw" })
      local job = ashby.get_job("\(job)")  -- reads still go out
      return c.id, c.dry_run, a.id, moved.currentInterviewStage.title, s.dry_run, raw.dry_run, job.id
      """)
    #expect(r == ["dry-run-candidate-1", true, "dry-run-application-2", "Onsite", true, true, .string(job)])
    #expect(s.fake.requests.filter { Catalog.isWrite($0.endpoint) }.isEmpty)
    #expect(s.fake.count("job.info") == 1)
    #expect(s.fake.count("interviewStage.list") == 1)  // the stage name was checked for real
    let plan = s.client.plannedWrites
    #expect(
      plan.map(\.action) == [
        "create_candidate", "create_application", "advance_application", "schedule_interview", "candidate.createNote",
      ])
    #expect(plan[2].parameters["note"] == "looks good")
    #expect(s.fake.candidateCount == seeded)  // none created
  }

  @Test func aBadStageNameStillFailsInADryRun() async throws {
    let s = try await Session.start(dryRun: true)
    onTeardown { await s.stop() }
    let app = s.fake.seedIDs("application")[2]
    let r = try await s.run(
      "local ok, e = pcall(ashby.advance_application, { application_id = '\(app)', stage = 'Nope' }); return e.kind, e.parameter"
    )
    #expect(r == ["argument", "stage"])
    #expect(s.client.plannedWrites.isEmpty)
  }
}

@Suite(.teardown) struct StubTests {
  @Test func theCheckedInStubFileIsTheGeneratedOne() throws {
    let checkedIn = try String(contentsOf: packageRoot.appendingPathComponent("stdlib/ashby.meta.lua"), encoding: .utf8)
    #expect(checkedIn == TypeStubs.generate(), "run: ashby-lua types > stdlib/ashby.meta.lua")
    #expect(AshbyStdlib.stubs == checkedIn)
  }

  @Test func everyActionAndFunctionHasAStub() {
    let stubs = TypeStubs.generate()
    for spec in Actions.all {
      #expect(stubs.contains("function ashby.\(spec.name)(params) end"))
      for p in spec.parameters { #expect(stubs.contains("---@field \(p.name)")) }
    }
    for name in ["call", "pages", "spawn", "wait", "all", "map", "sleep", "is_error", "help"] {
      #expect(stubs.contains("function ashby.\(name)("))
    }
    #expect(stubs.hasPrefix("---@meta"))
  }

  @Test func theStubsTypeCheckAsLua() async throws {
    let vm = try LuaVM()
    let ok = try await vm.perform { ctx -> Bool in
      try ctx.load(TypeStubs.generate(), name: "=stubs")
      ctx.stack.pop()
      return true
    }
    #expect(ok)
  }
}
