import AshbyTestSupport
import Foundation
import Testing

/// The progress line, as a person at a terminal sees it, and its absence in pipes.
@Suite(.teardown) struct ProgressTests {
  static let source = """
    local ids = {}
    for i = 1, 300 do ids[i] = "job-00000000-0000" end
    local jobs = ashby.map(ids, function(id, i)
      local job = ashby.get_job(id)
      if i % 60 == 0 then print("line " .. i .. " of the script's own output") end
      return job
    end, { concurrency = 8 })
    print("done", #jobs)
    """

  @Test func aLongMapShowsALineThatAdvancesAndIsGoneAtTheEnd() async throws {
    let f = try await FakeFixture.start(latency: .milliseconds(15))
    onTeardown { await f.fake.stop() }
    let home = try scratch()
    let t = try PseudoTerminal(["run", try script(Self.source)], env: f.env, home: home)
    try await t.expect("done\t300")
    #expect(try await t.wait() == 0)
    let out = t.output
    // Redrawn in place: each draw starts with "\r\e[K".
    let draws = out.components(separatedBy: "\r\u{1B}[K").dropFirst().compactMap { draw -> Int? in
      guard draw.hasPrefix("ashby.map  ") else { return nil }
      return Int(draw.dropFirst("ashby.map  ".count).prefix { $0.isNumber })
    }
    #expect(draws.count >= 2, "\(out.debugDescription)")
    #expect(draws == draws.sorted() && Set(draws).count >= 2, "the count advances: \(draws)")
    #expect(out.contains("/300 "))
    // Gone at the end: the last line drawn is cleared before the script's final output.
    let beforeDone = out.components(separatedBy: "done\t300").first ?? ""
    let afterLastDraw = beforeDone.components(separatedBy: "ashby.map  ").last ?? ""
    #expect(afterLastDraw.contains("\r\u{1B}[K"), "\(beforeDone.suffix(160).debugDescription)")
    // The script's own lines arrive whole, each on its own line.
    let lines = out.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n").map { line in
      String(line.components(separatedBy: "\r\u{1B}[K").last ?? "")
    }
    for i in stride(from: 60, through: 300, by: 60) {
      #expect(lines.contains("line \(i) of the script's own output"), "line \(i): \(lines)")
    }
  }

  @Test func aPipeGetsNoProgressAndQuietTurnsItOff() async throws {
    let f = try await FakeFixture.start(latency: .milliseconds(15))
    onTeardown { await f.fake.stop() }
    let path = try script(Self.source)
    let piped = try await run(["run", path], env: f.env)
    #expect(piped.status == 0)
    #expect(piped.stdout.hasSuffix("done\t300\n"))
    #expect(piped.stderr.isEmpty, "\(piped.stderr.debugDescription)")
    // --verbose off a terminal: one summary line instead.
    let verbose = try await run(["run", "--verbose", path], env: f.env)
    #expect(verbose.stderr.contains("ashby.map: 300/300 in "))
    #expect(!verbose.stderr.contains("\r"))
    let home = try scratch()
    let t = try PseudoTerminal(["run", "--quiet", path], env: f.env, home: home)
    try await t.expect("done\t300")
    #expect(try await t.wait() == 0)
    #expect(!t.output.contains("ashby.map  "))
  }
}
