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

  /// The stubs compile as Lua, every type their annotations name is one they
  /// declare (or Lua's own), and the functions they declare are the `ashby`
  /// table's, no more and no fewer: what an editor would trip on.
  @Test func theStubsTypeCheck() async throws {
    let stubs = TypeStubs.generate()
    let vm = try LuaVM()
    try await vm.perform { ctx in
      try ctx.load(stubs, name: "=stubs")
      ctx.stack.pop()
    }
    let check = StubCheck(stubs)
    #expect(check.undeclared.isEmpty, "types used but never declared: \(check.undeclared.sorted().prefix(20))")
    #expect(check.declared.count > 50)
    // The functions of a real session's `ashby` table, against the stubs' `function ashby.NAME(`.
    let s = try await Session.start()
    onTeardown { await s.stop() }
    let names = try await s.run(
      "local t = {} for k, v in pairs(ashby) do if type(v) == 'function' then t[#t + 1] = k end end table.sort(t) return table.concat(t, ' ')"
    ).first?.stringValue?.split(separator: " ").map(String.init) ?? []
    #expect(names.count > 10)
    #expect(Set(names).subtracting(check.functions).sorted() == [], "functions without a stub")
    #expect(check.functions.subtracting(names).sorted() == [], "stubs without a function")
  }
}

/// What the stubs' annotations declare and use, read the way LuaLS reads them.
struct StubCheck {
  var declared: Set<String> = []
  var used: Set<String> = []
  var functions: Set<String> = []

  static let builtin: Set<String> = [
    "any", "nil", "boolean", "string", "number", "integer", "table", "function", "fun", "userdata", "thread",
    "unknown", "true", "false", "self", "lightuserdata",
  ]

  init(_ stubs: String) {
    for line in stubs.split(separator: "\n").map(String.init) {
      let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
      guard let tag = words.first else { continue }
      switch tag {
      case "---@generic":
        for name in words.dropFirst() { declared.insert(name.trimmingCharacters(in: CharacterSet(charactersIn: ","))) }
      case "---@class", "---@alias":
        if words.count > 1 { declared.insert(words[1]) }
        if tag == "---@alias" { use(words.dropFirst(2).joined(separator: " ")) }
      case "---@param", "---@field":
        // A field's name is a Lua name or a quoted key (`["@type"]`): LuaLS reads nothing else there.
        if tag == "---@field", words.count > 1,
          words[1].wholeMatch(of: /([A-Za-z_][A-Za-z0-9_]*|\["[^"]+"\])\??/) == nil
        {
          used.insert("bad field name: " + words[1])
        }
        if words.count > 2 { use(words[2]) }
      case "---@return":
        var i = 1
        while i < words.count {
          use(words[i])
          if !words[i].hasSuffix(",") { break }
          i += 1
        }
      case "---@overload":
        use(words.dropFirst().joined(separator: " "))
      case "function":
        if let name = line.firstMatch(of: /^function ashby\.([a-z_]+)\(/)?.1 { functions.insert(String(name)) }
      default:
        break
      }
    }
  }

  /// The type names in a type expression: quoted literals and `name:` / `name?:` of a `fun(...)` left out.
  mutating func use(_ expression: String) {
    let plain = expression.replacing(/"[^"]*"/, with: "").replacing(/[A-Za-z_][A-Za-z0-9_]*\??:/, with: "")
    for match in plain.matches(of: /[A-Za-z_][A-Za-z0-9_.]*/) { used.insert(String(match.0)) }
  }

  var undeclared: Set<String> { used.subtracting(declared).subtracting(Self.builtin) }
}
