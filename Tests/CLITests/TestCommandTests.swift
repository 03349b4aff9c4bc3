import AshbyTestSupport
import Foundation
import FoundationXML
import Testing

/// `ashby-lua test`: the runner itself, driven as a user drives it, on spec
/// files written here: assertions passing and failing, hooks, pending,
/// errors outside tests, isolation between tests, --jobs, --filter, the
/// reports (JUnit read as XML, TAP read by `prove`) and the exit codes.
@Suite struct TestCommandTests {
  /// A folder holding `files` (name → Lua), the current folder of the run.
  func project(_ files: [String: String]) throws -> URL {
    let dir = try scratch()
    for (name, text) in files {
      let url = dir.appendingPathComponent(name)
      try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try text.write(to: url, atomically: true, encoding: .utf8)
    }
    return dir
  }

  func test(_ args: [String], in dir: URL, timeout: Double = 120) async throws -> Outcome {
    try await run(["test"] + args, home: dir, cwd: dir, timeout: timeout)
  }

  /// The TAP lines `ok N - name` / `not ok N - name`, by name.
  func tapStatus(_ tap: String) -> [String: String] {
    var out: [String: String] = [:]
    for line in tap.split(separator: "\n") {
      for prefix in ["not ok ", "ok "] where line.hasPrefix(prefix) {
        let rest = line.dropFirst(prefix.count)
        guard let dash = rest.range(of: " - ") else { continue }
        var name = String(rest[dash.upperBound...])
        var status = prefix == "ok " ? "ok" : "not ok"
        if let skip = name.range(of: " # SKIP") {
          name = String(name[..<skip.lowerBound])
          status = "skip"
        }
        out[name] = status
        break
      }
    }
    return out
  }

  static let assertions = """
    describe("assert", function()
      it("equal holds", function() assert.are.equal(2, 1 + 1); assert.equals("a", "a"); assert.is.equal(true, true) end)
      it("equal fails", function() assert.are.equal(3, 1 + 1) end)
      it("same holds", function() assert.are.same({ a = { 1, 2 }, b = "x" }, { b = "x", a = { 1, 2 } }) end)
      it("same fails", function() assert.are.same({ a = { 1, 2 } }, { a = { 1, 5 }, extra = true }) end)
      it("is_true holds", function() assert.is_true(1 == 1) end)
      it("is_true fails", function() assert.is_true(1) end)
      it("truthy holds", function() assert.truthy(0); assert.is.truthy("") end)
      it("truthy fails", function() assert.truthy(nil) end)
      it("falsy holds", function() assert.falsy(false); assert.is_falsy(nil) end)
      it("falsy fails", function() assert.falsy(0) end)
      it("has_error holds", function() assert.has_error(function() error("boom", 0) end, "boom"); assert.has.errors(function() error({}) end) end)
      it("has_error fails", function() assert.has_error(function() end) end)
      it("has_no.errors holds", function() assert.has_no.errors(function() end) end)
      it("has_no.errors fails", function() assert.has_no.errors(function() error("inside") end) end)
      it("matches holds", function() assert.matches("^Back", "Backend Engineer") end)
      it("matches fails", function() assert.matches("^Front", "Backend Engineer") end)
      it("are_not holds", function() assert.are_not.equal(1, 2); assert.are_not.same({ 1 }, { 2 }); assert.is_not_nil(0) end)
      it("are_not fails", function() assert.are_not.equal(1, 1) end)
      it("plain assert fails", function() assert(false, "a message of mine") end)
      it("message given fails", function() assert.are.equal(1, 2, "the count of jobs") end)
    end)
    """

  @Test func everyAssertionFormHoldsAndFailsWithItsMessage() async throws {
    let dir = try project(["spec/assert_spec.lua": Self.assertions])
    let r = try await test(["--output", "tap"], in: dir)
    #expect(r.status == 1, "\(r.stderr)")
    let status = tapStatus(r.stdout)
    #expect(status.count == 20, "\(r.stdout)")
    for (name, value) in status {
      #expect(value == (name.hasSuffix("holds") ? "ok" : "not ok"), "\(name): \(value)\n\(r.stdout)")
    }
    let text = try await test([], in: dir).stdout
    for expected in [
      "spec/assert_spec.lua:3: Expected objects to be equal.", "Passed in:\n(number) 2\nExpected:\n(number) 3",
      "  .a[2]: expected (number) 2, got (number) 5", "  .extra: not expected, got (boolean) true",
      "Expected (number) 1 to be true", "Expected (nil) nil to be truthy", "Expected (number) 0 to be falsy",
      "Expected an error, but the function returned", "Expected no error, but it raised:\nspec/assert_spec.lua:15: inside",
      "to match the pattern \"^Front\"", "Expected objects not to be equal.", "spec/assert_spec.lua:20: a message of mine",
      "the count of jobs\nExpected objects to be equal.", "9 successes / 11 failures / 0 errors / 0 pending",
    ] {
      #expect(text.contains(expected), "missing: \(expected)\n\(text)")
    }
    #expect(text.contains("Failure → spec/assert_spec.lua @ 3\nassert equal fails\n"), "\(text)")
  }

  @Test func hooksRunInBustedsOrderAndPendingIsReported() async throws {
    let dir = try project([
      "spec/hooks_spec.lua": """
        describe("outer", function()
          setup(function() print("setup outer") end)
          teardown(function() print("teardown outer") end)
          before_each(function() print("before outer") end)
          after_each(function() print("after outer") end)
          describe("inner", function()
            setup(function() print("setup inner") end)
            teardown(function() print("teardown inner") end)
            before_each(function() print("before inner") end)
            after_each(function() print("after inner") end)
            it("one", function() print("test one") end)
            it("two", function() print("test two") end)
          end)
          it("three", function() print("test three") end)
          pending("not yet")
          it("no body yet")
          it("pending inside", function() pending("waits for the API") end)
        end)
        """
    ])
    let r = try await test([], in: dir)
    #expect(r.status == 0, "\(r.all)")
    let order = r.stderr.split(separator: "\n").map(String.init)
    #expect(
      order == [
        "setup outer", "setup inner", "before outer", "before inner", "test one", "after inner", "after outer",
        "before outer", "before inner", "test two", "after inner", "after outer", "teardown inner",
        "before outer", "test three", "after outer", "before outer", "after outer", "teardown outer",
      ], "\(order)")
    #expect(r.stdout.contains("3 successes / 0 failures / 0 errors / 3 pending"), "\(r.stdout)")
    #expect(r.stdout.contains("Pending → spec/hooks_spec.lua @ 16\nouter no body yet"), "\(r.stdout)")
    #expect(r.stdout.contains("outer pending inside\nwaits for the API"), "\(r.stdout)")
  }

  @Test func errorsOutsideTestsAndSyntaxErrorsNameTheirLine() async throws {
    let dir = try project([
      "spec/a_broken_spec.lua": "describe(\"x\", function()\n  it(\"y\", function() end\nend)\n",
      "spec/b_outside_spec.lua": """
        describe("loads", function()
          it("runs", function() end)
        end)
        describe("config", function()
          local missing = nil
          local value = missing.field
          it("never declared", function() end)
        end)
        """,
      "spec/c_ok_spec.lua": "it(\"still runs\", function() end)\n",
    ])
    let r = try await test(["--output", "junit"], in: dir)
    #expect(r.status == 1, "\(r.all)")
    #expect(r.stdout.contains("spec/a_broken_spec.lua:3:"), "\(r.stdout)")
    #expect(r.stdout.contains("name=\"config\""), "\(r.stdout)")
    #expect(r.stdout.contains("spec/b_outside_spec.lua:6: attempt to index a nil value"), "\(r.stdout)")
    #expect(r.stdout.contains("name=\"loads runs\""), "\(r.stdout)")
    #expect(r.stdout.contains("name=\"still runs\""), "\(r.stdout)")
  }

  /// Each test sees the demo data as it was, whatever the one before wrote, froze or broke.
  @Test func testsDoNotSeeEachOthersWritesFixturesClocksOrFaults() async throws {
    let dir = try project([
      "spec/isolation_spec.lua": """
        describe("isolation", function()
          it("a writes, fixes a world, freezes the clock, breaks the fake", function()
            ashby.create_candidate({ first_name = "Grace", last_name = "Hopper", email = "grace@example.org" })
            assert.are.equal(1, #ashby.test.writes())
            assert.are.equal("candidate.create", ashby.test.writes()[1].endpoint)
            assert.are.equal("Grace Hopper", ashby.test.writes()[1].params.name)
            ashby.test.clock("2020-01-01T00:00:00Z")
            assert.are.equal(1577836800, os.time())
            assert.are.equal("2020-01-01", os.date("!%Y-%m-%d"))
            ashby.test.fixture({ jobs = { { title = "Only job" } } })
            assert.are.equal(1, #ashby.list_jobs().jobs)
            ashby.test.fault({ kind = "5xx", endpoint = "job.list" })
          end)
          it("b sees none of it", function()
            assert.are.same({}, ashby.test.writes())
            assert.is_true(os.time() > 1700000000)
            assert.is_true(#ashby.list_jobs().jobs > 1)
            assert.are.same({}, ashby.call("candidate.search", { email = "grace@example.org" }))
          end)
        end)
        """
    ])
    let r = try await test([], in: dir)
    #expect(r.status == 0, "\(r.all)")
    #expect(r.stdout.contains("2 successes / 0 failures"), "\(r.stdout)")
  }

  /// Within a test a fixture replaces only the data (the writes and faults so far stay); a fault at a
  /// rate draws the same in every test, whatever ran before it.
  @Test func aFixtureInsideATestKeepsItsWritesAndRatedFaultsRepeat() async throws {
    let dir = try project([
      "spec/within_spec.lua": """
        local function draws()
          local c = ashby.create_candidate({ first_name = "Rae", last_name = "Te", email = "rae@example.org" })
          ashby.test.fault({ kind = "5xx", endpoint = "candidate.createNote", rate = 0.5 })
          local seen = {}
          for i = 1, 16 do seen[i] = pcall(ashby.call, "candidate.createNote", { candidateId = c.id, note = "n" }) and "ok" or "5xx" end
          return table.concat(seen, " ")
        end
        local first
        describe("within a test", function()
          it("keeps the writes and faults under a new fixture", function()
            ashby.create_candidate({ first_name = "Ada", last_name = "Byron", email = "ada@example.org" })
            ashby.test.fault({ kind = "5xx", endpoint = "candidate.create", count = 1 })
            ashby.test.fixture({ jobs = { { title = "Only job" } } })
            assert.are.equal(1, #ashby.list_jobs().jobs)
            assert.are.equal(1, #ashby.test.writes())
            assert.is_false(pcall(ashby.create_candidate, { first_name = "B", last_name = "C", email = "b@example.org" }))
          end)
          it("draws a rated fault", function() first = draws() end)
          it("draws it the same again", function()
            assert.are.equal(first, draws())
            assert.matches("ok", first)
            assert.matches("5xx", first)
          end)
        end)
        """
    ])
    let r = try await test([], in: dir)
    #expect(r.status == 0, "\(r.all)")
    #expect(r.stdout.contains("3 successes / 0 failures"), "\(r.stdout)")
  }

  /// What a spec can do wrong ends as that test's error, never a crash, a lost test or a green run.
  @Test func aMisbehavingSpecFailsItsTestsAndNothingElse() async throws {
    let dir = try project([
      "spec/misbehave_spec.lua": """
        describe("misbehaving", function()
          it("huge retry_after", function() ashby.test.fault{ kind = "429", count = 1, retry_after = 1e300 } end)
          it("endless clock", function() ashby.test.clock(math.huge) end)
          it("misspelled fault", function() ashby.test.fault{ kind = "5xx", cuont = 1 } end)
          it("exits", function() os.exit(0) end)
          it("declares inside", function() before_each(function() end) end)
          it("raises a table", function() error({ code = 42 }) end)
          it("empty lists are lists", function()
            ashby.test.fixture{ jobs = {}, candidates = {} }
            assert.are.equal(0, #ashby.list_jobs().jobs)
          end)
          it("429s do not outlive their test", function()
            ashby.test.fault{ kind = "429", count = 2, retry_after = 0 }
            assert.is_true(#ashby.list_jobs().jobs > 0)
          end)
          it("paces freely again", function()
            local started = os.clock()
            for _ = 1, 20 do ashby.call("job.info", { id = "job-00000000-0000" }) end
            assert.is_true(os.clock() - started < 5)
          end)
        end)
        describe("a bad block fixture", function()
          ashby.test.fixture{ jobs = "oops" }
          it("errors alone", function() end)
        end)
        describe("a failing setup", function()
          setup(function() error("no setup") end)
          teardown(function() print("TEARDOWN RAN") end)
          it("is not run", function() end)
        end)
        it("still runs", function() end)
        """,
    ])
    // A Latin-1 file: a test's name that is not UTF-8 still counts.
    try Data("it(\"caf".utf8 + [0xE9] + " fails\", function() error(\"x\") end)\n".utf8).write(
      to: dir.appendingPathComponent("spec/latin1_spec.lua"))
    let r = try await test(["--output", "junit"], in: dir)
    #expect(r.status == 1, "\(r.all)")
    for expected in [
      "retry_after must be 0..600 seconds", "the time must be between the years 0 and 9999", "unknown key &quot;cuont&quot;",
      "os.exit called in a spec", "before_each() inside a test", "{ code = 42 }", "fixture.jobs must be a list",
      "setup: ", "name=\"still runs\"", "name=\"caf",
    ] {
      #expect(r.stdout.contains(expected), "missing \(expected)\n\(r.stdout)")
    }
    #expect(r.stderr.contains("TEARDOWN RAN"), "\(r.stderr)")
    let document = try XMLDocument(data: Data(r.stdout.utf8))
    let passed = try document.nodes(forXPath: "//testcase[not(*)]").compactMap { ($0 as? XMLElement)?.attribute(forName: "name")?.stringValue }
    #expect(Set(passed) == [
      "misbehaving empty lists are lists", "misbehaving 429s do not outlive their test", "misbehaving paces freely again",
      "still runs",
    ], "\(passed)")
    let badFilter = try await test(["--filter", "["], in: dir)
    #expect(badFilter.status == 2, "\(badFilter.all)")
    #expect(badFilter.stderr.contains("not a Lua pattern"), "\(badFilter.stderr)")
  }

  /// Two files that each wait for the other's mark pass only when they run at once.
  @Test func jobsRunSpecFilesAtOnce() async throws {
    func waiter(_ mine: String, _ theirs: String) -> String {
      """
      it("meets the other file", function()
        io.open("\(mine)", "w"):close()
        local deadline = os.time() + 30
        while not io.open("\(theirs)") do
          assert.is_true(os.time() < deadline, "the other spec file never ran alongside")
          os.execute("sleep 0.05")
        end
      end)
      """
    }
    let dir = try project(["spec/a_spec.lua": waiter("a.mark", "b.mark"), "spec/b_spec.lua": waiter("b.mark", "a.mark")])
    let r = try await test(["--jobs", "2"], in: dir)
    #expect(r.status == 0, "\(r.all)")
    #expect(r.stdout.contains("2 successes"), "\(r.stdout)")
  }

  @Test func filterRunsOnlyMatchingTestsAndExitCodesSayWhatHappened() async throws {
    let dir = try project([
      "spec/filter_spec.lua": """
        describe("jobs", function()
          it("list open", function() end)
          it("list closed", function() assert.is_true(false) end)
        end)
        describe("candidates", function() it("create", function() end) end)
        """
    ])
    let open = try await test(["--filter", "open", "--output", "tap"], in: dir)
    #expect(open.status == 0, "\(open.all)")
    #expect(tapStatus(open.stdout) == ["jobs list open": "ok"], "\(open.stdout)")
    let all = try await test(["--filter", "^jobs"], in: dir)
    #expect(all.status == 1)
    #expect(all.stdout.contains("1 success / 1 failure"), "\(all.stdout)")
    let noSpecs = try await test([], in: try scratch())
    #expect(noSpecs.status == 2)
    #expect(noSpecs.stderr.contains("no spec/ folder here"), "\(noSpecs.stderr)")
    let missing = try await test(["spec/nope_spec.lua"], in: dir)
    #expect(missing.status == 2)
    #expect(missing.stderr.contains("spec/nope_spec.lua: no such file or folder"), "\(missing.stderr)")
    let badOutput = try await test(["--output", "xml"], in: dir)
    #expect(badOutput.status == 2, "\(badOutput.all)")
  }

  /// JUnit as CI servers read it: testsuites / testsuite / testcase, the counts and times, failure and skipped elements.
  @Test func junitIsWellFormedWithCountsAndTimes() async throws {
    let dir = try project([
      "spec/report_spec.lua": """
        describe("report <&>", function()
          it("passes", function() os.execute("echo a command printed this") end)
          it("fails \\"quoted\\"", function() assert.are.equal("<a>", "&b") end)
          it("errors", function() error("plain error") end)
          pending("later")
        end)
        """
    ])
    let r = try await test(["--output", "junit"], in: dir)
    #expect(r.status == 1)
    let document = try XMLDocument(data: Data(r.stdout.utf8))
    let root = try #require(document.rootElement())
    #expect(root.name == "testsuites")
    for (name, value) in ["tests": "4", "failures": "1", "errors": "1", "skipped": "1"] {
      #expect(root.attribute(forName: name)?.stringValue == value, "\(name)\n\(r.stdout)")
    }
    // Only the report on stdout: what a spec's command printed went to stderr.
    #expect(!r.stdout.contains("a command printed this") && r.stderr.contains("a command printed this"), "\(r.all)")
    let suites = try document.nodes(forXPath: "/testsuites/testsuite").compactMap { $0 as? XMLElement }
    #expect(suites.count == 1)
    for (name, value) in ["tests": "4", "failures": "1", "errors": "1", "skipped": "1"] {
      #expect(suites.first?.attribute(forName: name)?.stringValue == value, "testsuite \(name)\n\(r.stdout)")
    }
    #expect(Double(suites.first?.attribute(forName: "time")?.stringValue ?? "") != nil)
    let cases = try document.nodes(forXPath: "//testcase").compactMap { $0 as? XMLElement }
    #expect(cases.map { $0.attribute(forName: "name")?.stringValue ?? "" } == [
      "report <&> passes", "report <&> fails \"quoted\"", "report <&> errors", "report <&> later",
    ])
    for element in cases {
      #expect(Double(element.attribute(forName: "time")?.stringValue ?? "") != nil)
      #expect(element.attribute(forName: "classname")?.stringValue == "spec.report_spec")
    }
    #expect(try document.nodes(forXPath: "//testcase/failure").count == 1)
    #expect(try document.nodes(forXPath: "//testcase/error").count == 1)
    #expect(try document.nodes(forXPath: "//testcase/skipped").count == 1)
    let failure = try #require(try document.nodes(forXPath: "//failure").first as? XMLElement)
    #expect(failure.stringValue?.contains("(string) \"&b\"") == true, "\(failure)")
  }

  /// `prove` (Perl's TAP harness) runs the runner as a test program and reads its TAP without complaint.
  @Test func tapIsReadByProve() async throws {
    let dir = try project([
      "spec/pass_spec.lua": "it(\"one\", function() end)\nit(\"two # hash\", function() end)\npending(\"three\")\n",
      "spec/fail_spec.lua": "it(\"good\", function() end)\nit(\"bad\", function() assert.are.equal(1, 2) end)\n",
    ])
    let exec = "\(binary.path) test --output tap"
    let prove = URL(fileURLWithPath: "/usr/bin/prove")
    let passing = try await run(["--exec", exec, "spec/pass_spec.lua"], home: dir, cwd: dir, executable: prove)
    #expect(passing.status == 0, "\(passing.stdout)\(passing.stderr)")
    #expect(passing.stdout.contains("All tests successful."), "\(passing.stdout)")
    #expect(passing.stdout.contains("Tests=3"), "\(passing.stdout)")
    let failing = try await run(["--exec", exec, "spec/fail_spec.lua"], home: dir, cwd: dir, executable: prove)
    #expect(failing.status != 0)
    #expect(failing.stdout.contains("Failed 1/2 subtests"), "\(failing.stdout)")
    for output in [passing.stdout + passing.stderr, failing.stdout + failing.stderr] {
      #expect(!output.contains("Parse errors"), "\(output)")
    }
  }
}
