import AshbyScheduler
import Foundation
import AshbyTestSupport
import Testing

/// The operations features around runs: output in the history, `logs`,
/// `status` and `list --json`, `env`, `keep` and `on_failure`.
@Suite struct ScheduleOperationsTests {
  @Test func outputEnvKeepAndOnFailure() async throws {
    let s = try ScheduleTests.Setup(
      schedule: """
        [[job]]
        name = "talk"
        script = "talk.lua"
        cron = "@daily"
        sandbox = false
        env = { REGION = "emea" }
        keep = 2

        [[job]]
        name = "broken"
        script = "fail.lua"
        cron = "@daily"
        on_failure = "printf '%s' \\"$ASHBY_LUA_RUN\\" > failed.json"
        """)
    try "print('region ' .. os.getenv('REGION')); io.stderr:write('to stderr\\n')".write(
      to: s.work.appendingPathComponent("talk.lua"), atomically: true, encoding: .utf8)
    for _ in 0..<3 {
      let r = try await run(["schedule", "trigger", "talk", "--file", s.file], home: s.home)
      #expect(r.status == 0, "\(r.stderr)")
      #expect(r.stdout == "region emea\n" && r.stderr.contains("to stderr"))  // trigger passes output through
    }
    let history = try FreshState.open(s.historyPath)
    let talks = try history.runs(job: "talk")
    #expect(talks.count == 2)  // keep = 2
    // stdout and stderr come on two pipes (and stdout is buffered in the child): both kept, in either order.
    let lines = { (text: String?) in Set((text ?? "").split(separator: "\n").map(String.init)) }
    #expect(lines(talks.first?.output) == ["region emea", "to stderr"])
    let logs = try await run(["schedule", "logs", "talk"], home: s.home)
    #expect(logs.status == 0 && lines(logs.stdout) == ["region emea", "to stderr"], "\(logs.all)")
    let older = try #require(talks.last?.id)
    let olderLogs = try await run(["schedule", "logs", "talk", String(older)], home: s.home)
    #expect(olderLogs.stdout.contains("region emea"), "\(olderLogs.all) (run \(older) of \(talks.compactMap(\.id)))")
    #expect(try await run(["schedule", "logs", "talk", "999"], home: s.home).status == 2)

    let failed = try await run(["schedule", "trigger", "broken", "--file", s.file], home: s.home)
    #expect(failed.status == 1)
    let record = try String(contentsOf: s.work.appendingPathComponent("failed.json"), encoding: .utf8)
    #expect(record.contains("\"job\":\"broken\"") && record.contains("\"status\":\"failed\""), "\(record)")

    let status = try await run(["schedule", "status", "--file", s.file, "--json"], home: s.home)
    let jobs = status.stdout.split(separator: "\n")
    #expect(jobs.count == 2 && jobs[1].contains("\"status\":\"failed\"") && jobs[0].contains("\"next\""))
    let list = try await run(["schedule", "list", "--file", s.file, "--json", "--count", "2"], home: s.home)
    #expect(list.stdout.split(separator: "\n").first?.contains("\"name\":\"talk\"") == true)
    #expect(list.stdout.contains("\"next_local\""))
  }
}
