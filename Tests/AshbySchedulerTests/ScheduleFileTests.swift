import AshbyProcess
import Foundation
import Testing

@testable import AshbyScheduler

@Suite struct ScheduleFileTests {
  /// A folder with a script in it, for relative `script` paths.
  static func folder() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sched-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    try "print('hi')".write(toFile: dir + "/report.lua", atomically: true, encoding: .utf8)
    return dir
  }

  @Test func jobsWithDefaultsAndEveryKey() throws {
    let dir = try Self.folder()
    let jobs = try ScheduleFile.parse(
      """
      [defaults]
      timezone = "Europe/Berlin"
      retries = 1
      rate_limit = 300

      [[job]]
      name = "report"
      script = "report.lua"
      cron = "0 8 * * mon-fri"

      [[job]]
      name = "sweep"
      script = "\(dir)/report.lua"
      cron = "@hourly"
      timezone = "UTC"
      overlap = "queue"
      catch_up = "all"
      timeout = "15m"
      retries = 3
      retry_delay = 5
      sandbox = true
      dry_run = true
      rate_limit = 120
      strict_results = false
      api_version = "2025-06-01"
      on_behalf_of = "lee@example.com"
      args = ["--days", "7"]
      """, file: "schedules.toml", folder: dir)
    #expect(jobs.map(\.name) == ["report", "sweep"])
    #expect(jobs[0].script == dir + "/report.lua")
    #expect(jobs[0].timeZone.identifier == "Europe/Berlin")
    #expect(jobs[0].retries == 1 && jobs[0].overlap == .skip && jobs[0].catchUp == .none && jobs[0].timeout == 3600)
    let s = jobs[1]
    #expect(s.timeZone.secondsFromGMT() == 0 && s.overlap == .queue && s.catchUp == .all)
    #expect(s.timeout == 900 && s.retries == 3 && s.retryDelay == 5 && s.sandbox && s.dryRun)
    #expect(s.args == ["--days", "7"])
    #expect(jobs[0].rateLimit == 300 && s.rateLimit == 120)
    var base = RunSettings.defaults
    (base.profile, base.apiVersion, base.concurrency) = ("team", "2024-01-01", 4)
    let runner = ProcessJobRunner(
      executable: "/bin/ashby-lua", base: base, forceDryRun: false, forceSandbox: false, timeoutCap: 600,
      environment: [], apiKey: nil, echo: .passThrough)
    // The settings travel as data: the command line is the script and its arguments, nothing else.
    #expect(runner.arguments(for: s) == ["run", s.script, "--days", "7"])
    let (plain, swept) = (runner.settings(for: jobs[0]), runner.settings(for: s))
    #expect(swept.rateLimit == 120 && plain.rateLimit == 300)
    #expect(jobs[0].strictResults && !s.strictResults)
    #expect(swept.looseResults && !plain.looseResults)
    #expect(swept.apiVersion == "2025-06-01" && plain.apiVersion == "2024-01-01")
    #expect(swept.onBehalfOf == "lee@example.com" && plain.onBehalfOf == nil)
    #expect(swept.sandbox && swept.dryRun && plain.sandbox == jobs[0].sandbox && !plain.dryRun)
    #expect(swept.timeout == 600 && plain.timeout == 600)  // under `--timeout`'s cap
    #expect(swept.profile == "team" && swept.concurrency == 4)
    #expect {
      try ScheduleFile.parse(
        "[[job]]\nname = \"x\"\nscript = \"report.lua\"\ncron = \"@daily\"\nrate_limit = 0\n", file: "s.toml", folder: dir)
    } throws: { "\($0)".contains("rate_limit: must be a whole number of requests per minute") }
  }

  @Test func everyProblemAtOnceWithLineAndKey() throws {
    let dir = try Self.folder()
    let text = """
      [defaults]
      timezone = "Mars/Olympus"

      [[job]]
      name = "report"
      script = "missing.lua"
      cron = "0 25 * * *"
      overlap = "sometimes"

      [[job]]
      name = "report"
      script = "report.lua"
      cron = "@daily"
      retires = 2
      """
    #expect {
      try ScheduleFile.parse(text, file: "s.toml", folder: dir)
    } throws: { error in
      let problems = (error as? ScheduleFile.Problems)?.all ?? []
      let lines = problems.map { "\($0.line ?? 0) \($0.key ?? "")" }
      return lines == [
        "2 defaults.timezone", "6 job \"report\".script", "7 job \"report\".cron", "8 job \"report\".overlap",
        "11 job \"report\".name", "14 job \"report\".retires",
      ] && "\(error)".contains("s.toml:7: job \"report\".cron: hour field \"25\": 25 is outside 0-23")
    }
  }

  @Test func tomlSyntaxErrorsNameTheLine() {
    #expect {
      try ScheduleFile.parse("[[job]]\nname = \"x\nscript = 1\n", file: "bad.toml", folder: "/tmp")
    } throws: { error in "\(error)".hasPrefix("bad.toml:2: ") }
  }

  @Test func missingKeysAndNoJobs() throws {
    let dir = try Self.folder()
    #expect {
      try ScheduleFile.parse("# nothing yet\n", file: "s.toml", folder: dir)
    } throws: { error in "\(error)".contains("no jobs") }
    #expect {
      try ScheduleFile.parse("[[job]]\nname = \"a\"\n", file: "s.toml", folder: dir)
    } throws: { error in
      "\(error)" == "s.toml:1: job \"a\": \"script\" is missing\ns.toml:1: job \"a\": \"cron\" is missing"
    }
  }

  /// Found by scripts/fuzz: toml++ asserted (abort in debug, undefined behaviour in release) on these.
  @Test(arguments: [
    ("[defaults]\ntimeout = 5\n[\u{FFFD}[job]]\nname = \"a\"\n", 3),
    ("[[job]]\nname = \"a\"\n[ \u{00E9}x ]\n", 3),
    ("[[job]]\nname = \"a\"\nenv = { \u{FFFD} = 1 }\n", 3),
    ("[[job]]\nname = \"a\"\nenv = { a = 1, ! = 2 }\n", 3),
    ("\u{FEFF}[\u{1D}]\ntimezone = \"UTC\"\n", 1),  // after a byte-order mark
    ("[[job]]\nname = \"a\"\nargs = [\"x\", }\n", 3),  // a `}` where an array wants a value
    ("[[job]]\nname = \"a\"\nargs = [\n  # c\n}\n", 5),
    ("[[job]]\nenv = { a = [[}]] }\n", 2),
  ])
  func keysNoKeyCanStartWithAreRefusedWithTheirLine(text: String, line: Int) {
    #expect {
      try ScheduleFile.parse(text, file: "bad.toml", folder: "/tmp")
    } throws: { error in "\(error)".hasPrefix("bad.toml:\(line): ") }
  }

  @Test func bracketsInsideStringsCommentsAndArraysAreNotHeaders() throws {
    let dir = try Self.folder()
    let jobs = try ScheduleFile.parse(
      """
      # [!not a header]
      [[job]]
      name = "report"  # [?]
      script = "report.lua"
      cron = "0 8 * * *"
      args = [
        "[?not a header",
        '''[{still a string''',
      ]
      """, file: "ok.toml", folder: dir)
    #expect(jobs.first?.args == ["[?not a header", "[{still a string"])
  }
}
