import AshbyFake
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
    t.type("twice(21)\n")
    try await t.expect("42")
    t.type("x = { name = 'Ada', tags = { 'a', 'b' }, nested = { deep = { deeper = true } } }\n")
    t.type("x\n")
    try await t.expect("name")
    #expect(t.output.contains("tags"))
    #expect(t.output.contains("deeper"))
    t.type("_.name\n")
    try await t.expect("Ada")
    t.type("\u{4}")
    #expect(try await t.wait() == 0)
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
    t.type("job = ashby.get_job('job-00000000-0000')\n")
    try await t.expect("> ", since: t.output.count - 2)
    let mark = t.output.count
    t.type("job.ti\t")
    try await t.expect("tle", since: mark)  // the terminal shows only the completed part
    t.type("\n")
    try await t.expect("Backend Engineer 1", since: mark)
    t.type("\u{4}")
    #expect(try await t.wait() == 0)
  }

  @Test func ctrlCCancelsASlowCallAndKeepsTheSession() async throws {
    let f = try await FakeFixture.start(latency: .seconds(5))
    let home = try scratch()
    let t = try PseudoTerminal(["repl"], env: f.env, home: home)
    try await t.expect("> ")
    t.type("ashby.list_jobs()\n")
    try await Task.sleep(for: .milliseconds(400))
    let started = Date()
    t.interrupt()
    try await t.expect("cancelled")
    #expect(Date().timeIntervalSince(started) < 3)
    t.type("1 + 2\n")
    try await t.expect("3")
    t.type("\u{4}")
    #expect(try await t.wait() == 0)
    await f.fake.stop()
  }

  @Test func historySurvivesARestartAndKeepsMultiLineEntriesWhole() async throws {
    let home = try scratch()
    let first = try PseudoTerminal(["repl"], home: home)
    try await first.expect("> ")
    first.type("marker = 40 +\n")
    try await first.expect(">> ")
    first.type("2\n")
    first.type("marker\n")
    try await first.expect("42")
    first.type("\u{4}")
    _ = try await first.wait()
    let history = try String(contentsOf: home.appendingPathComponent("state/ashby-lua/history"), encoding: .utf8)
    #expect(history.contains("marker"))
    let attributes = try FileManager.default.attributesOfItem(atPath: home.appendingPathComponent("state/ashby-lua/history").path)
    #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)

    // A new process starts with `marker` unset; recalling the two-line entry sets it again.
    let second = try PseudoTerminal(["repl"], home: home)
    try await second.expect("> ")
    let mark = second.output.count
    second.type("\u{1b}[A")
    try await Task.sleep(for: .milliseconds(100))
    second.type("\u{1b}[A")  // up twice: past `marker` to `marker = 40 +\n2`, whole
    try await Task.sleep(for: .milliseconds(100))
    second.type("\n")
    try await Task.sleep(for: .milliseconds(200))
    second.type("marker\n")
    try await second.expect("42", since: mark)
    second.type("\u{4}")
    _ = try await second.wait()
  }

  @Test func pipedInputHasNoPromptsAndOneResultPerLine() async throws {
    let r = try await run(["repl"], stdin: "return 1+1\n'a' .. 'b'\nlocal t = {}\n{ 1, 2 }\nfor i = 1, 2 do\nprint(i)\nend\n")
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
    let r = try await run(["repl", "--fake"], stdin: ":help\n:time\n#ashby.list_jobs().jobs\n:nonsense\n:quit\nprint('not reached')\n")
    #expect(r.stdout.contains(":time"))
    #expect(r.stdout.contains("API call"))
    #expect(r.stderr.contains("unknown command"))
    #expect(!r.stdout.contains("not reached"))
  }
}
