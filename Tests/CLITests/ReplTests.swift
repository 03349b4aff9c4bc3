import AshbyFake
import AshbyTestSupport
import Foundation
import Testing

@Suite struct ReplTests {
  @Test func multiLineDefinitionAndPrettyNestedResult() async throws {
    let home = try scratch()
    let t = try PseudoTerminal(["repl"], home: home)
    try await t.expect("> ")
    t.type("function twice(n)\n")
    try await t.expect(">> ")
    t.type("  return n * 2\n")
    t.type("end\n")
    try await t.enter("twice(21)", expecting: "42")
    try await t.enter(
      "x = { name = 'Ada', tags = { 'a', 'b' }, nested = { deep = { deeper = true } } }", expecting: "> ")
    try await t.enter("x", expecting: "deeper")
    #expect(t.output.contains("tags = {"))
    try await t.enter("_.name", expecting: "\"Ada\"")
    #expect(try await t.quit() == 0)
  }

  @Test func tabCompletesAshbyFieldsWithoutCallingAnything() async throws {
    let home = try scratch()
    let t = try PseudoTerminal(["repl", "--fake"], home: home)
    try await t.expect("> ")
    let before = t.output.count
    t.type("ashby.cr\t\t")
    try await t.expect("create_candidate", since: before)
    #expect(t.output.dropFirst(before).contains("create_application"))
    t.type("\u{15}")  // clear the line
    try await t.enter("job = ashby.get_job('job-00000000-0000')", expecting: "> ")
    let mark = t.output.count
    t.type("job.ti\t")
    try await t.expect("tle", since: mark)  // the terminal shows only the completed part
    try await t.enter("", expecting: "Backend Engineer 1")
    #expect(try await t.quit() == 0)
  }

  @Test func ctrlCCancelsASlowCallAndKeepsTheSession() async throws {
    let f = try await FakeFixture.start(latency: .seconds(60))
    let home = try scratch()
    let t = try PseudoTerminal(["repl"], env: f.env, home: home)
    try await t.expect("> ")
    t.type("ashby.list_jobs()\n")
    // Press Ctrl-C once the request is at the server (60 s from answering).
    let deadline = Date().addingTimeInterval(30)
    while f.fake.arrivals == 0 && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
    let started = Date()
    t.interrupt()
    try await t.expect("cancelled", timeout: 40)
    #expect(Date().timeIntervalSince(started) < 40)  // well before the answer would have come
    try await t.expect("> ", since: t.output.count - 4)
    try await t.enter("1 + 2", expecting: "3")
    #expect(try await t.quit() == 0)
    await f.fake.stop()
  }

  /// Two Ctrl-Cs end a run stuck in C; at the prompt, with no run, they end nothing.
  @Test func ctrlCAtThePromptLeavesTheSession() async throws {
    let t = try PseudoTerminal(["repl"], home: try scratch())
    try await t.expect("> ")
    for _ in 0..<3 {
      // Each Ctrl-C is answered before the next is sent: none merge, none lands in the next line's run.
      let mark = t.output.count
      t.interrupt()
      try await t.expect("no line is running", since: mark)
    }
    try await t.enter("20 + 22", expecting: "42")
    #expect(try await t.quit() == 0)
  }

  @Test func historySurvivesARestartAndKeepsMultiLineEntriesWhole() async throws {
    let home = try scratch()
    let first = try PseudoTerminal(["repl", "--fake"], home: home)
    try await first.expect("> ")
    try await first.enter("pasted = '\(FakeAshby.fullKey)'", expecting: "> ")  // a key pasted by mistake stays out of history
    first.type("marker = 40 +\n")
    try await first.expect(">> ")
    first.type("2\n")
    try await first.enter("marker", expecting: "42")
    _ = try await first.quit()
    let history = try String(contentsOf: home.appendingPathComponent("state/ashby-lua/history"), encoding: .utf8)
    #expect(history.contains("marker"))
    #expect(!history.contains(FakeAshby.fullKey))
    let attributes = try FileManager.default.attributesOfItem(
      atPath: home.appendingPathComponent("state/ashby-lua/history").path)
    #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)

    // A new process starts with `marker` unset; recalling the two-line entry sets it again.
    let second = try PseudoTerminal(["repl"], home: home)
    try await second.expect("> ")
    let mark = second.output.count
    second.type("\u{1b}[A")
    try await second.expect("marker", since: mark)
    let recalled = second.output.count
    second.type("\u{1b}[A")  // up twice: past `marker` to `marker = 40 +\n2`, whole
    try await second.expect("40 +", since: recalled)
    second.type("\n")
    try await second.expect("> ", since: mark + 10)
    try await second.enter("marker", expecting: "42")
    #expect(second.output.dropFirst(mark).contains("42"))
    _ = try await second.quit()
  }

  @Test func pipedInputHasNoPromptsAndOneResultPerLine() async throws {
    let r = try await run(
      ["repl"], stdin: "return 1+1\n'a' .. 'b'\nlocal t = {}\n{ 1, 2 }\nfor i = 1, 2 do\nprint(i)\nend\n")
    #expect(r.stdout == "2\n\"ab\"\n{ 1, 2 }\n1\n2\n")
    #expect(r.status == 0)
    let withError = try await run(["repl"], stdin: "error('x')\nprint('still here')\n")
    #expect(withError.stdout == "still here\n")
    #expect(withError.stderr.contains("stdin:1: x"))
    #expect(withError.status == 1)
    let colorless = try await run(["repl", "--fake"], stdin: "ashby.get_job('job-00000000-0000').status\n")
    #expect(colorless.stdout == "\"Open\"\n")
  }

  @Test func replCommandsAndAsyncCallsAtThePrompt() async throws {
    let r = try await run(
      ["repl", "--fake"], stdin: ":help\n:time\n#ashby.list_jobs().jobs\n:nonsense\n:quit\nprint('not reached')\n")
    #expect(r.stdout.contains(":time"))
    #expect(r.stdout.contains("API call"))
    #expect(r.stderr.contains("unknown command"))
    #expect(!r.stdout.contains("not reached"))
  }

  @Test func chartDrawsTheLastResult() async throws {
    let r = try await run(
      ["repl"],
      stdin: "{ { label = 'Onsite', value = 4 }, { label = 'Offer', value = 2 } }\n:chart\n"
        + "{ { stage = 'Lead', n = 1 } }\n:chart stage n\n'text'\n:chart\n",
      env: ["COLUMNS": "30"])
    #expect(r.stdout.contains("Onsite ████████████████████ 4\nOffer  ██████████           2"), "\(r.stdout)")
    #expect(r.stdout.contains("Lead ██████████████████████ 1"))
    #expect(r.stderr.contains("ashby.chart.bar: expects a list of rows"), "\(r.stderr)")
  }
}
