import AshbyScheduler
import Foundation
import Testing

/// `schedule export --systemd`: units systemd accepts, timers that fire when
/// the job's cron does (asked of systemd itself), and a service that records
/// its run in the history.
@Suite struct ScheduleExportTests {
  static let everyKey = """
    [defaults]
    timezone = "Europe/Berlin"

    [[job]]
    name = "weekday-mornings"
    script = "hire.lua"
    cron = "0,30 8 * * mon-fri"
    catch_up = "last"
    timeout = "10m"
    retries = 2
    retry_delay = "5s"
    overlap = "queue"
    grace = "5m"
    sandbox = false
    dry_run = true
    args = ["export@example.com"]
    env = { TEAM = "emea" }
    keep = { runs = 50, age = "30d" }
    on_failure = "echo failed"
    rate_limit = 100

    [[job]]
    name = "either-day"
    script = "hire.lua"
    cron = "15 */6 1,15 * sun"
    timezone = "America/New_York"

    [[job]]
    name = "steps"
    script = "hire.lua"
    cron = "*/20 9-17/2 * jan,jul *"
    timezone = "UTC"

    [[job]]
    name = "odd-mondays"
    script = "hire.lua"
    cron = "0 6 */2 * mon"

    [[job]]
    name = "monthly"
    script = "hire.lua"
    cron = "@monthly"
    timezone = "Asia/Kolkata"
    """

  /// Runs a program; its status, stdout and stderr.
  static func shell(_ program: String, _ args: [String]) throws -> (Int32, String, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = args
    process.environment = ProcessInfo.processInfo.environment.merging(["TZ": "UTC"]) { $1 }  // systemd prints times in UTC
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
  }

  static let analyze = "/usr/bin/systemd-analyze"

  @Test(arguments: ["scripts", "every-key"])
  func theUnitsPassSystemdAnalyzeVerify(_ which: String) async throws {
    let s = try ScheduleTests.Setup(schedule: Self.everyKey)
    let file = which == "scripts" ? packageRoot.appendingPathComponent("scripts/schedules.toml").path : s.file
    let out = s.home.appendingPathComponent("units").path
    let r = try await run(["schedule", "export", "--file", file, "--systemd", out], home: s.home)
    #expect(r.status == 0, "\(r.stderr)")
    let units = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
    let jobs = try ScheduleFile.load(file)
    #expect(units.count == jobs.count * 2)
    let (status, stdout, stderr) = try Self.shell(Self.analyze, ["verify", "--man=no"] + units.map { "\(out)/\($0)" })
    #expect(status == 0 && stderr.isEmpty, "systemd-analyze verify: \(stdout)\(stderr)")
  }

  @Test func theTimersFireWhenTheCronDoes() throws {
    let s = try ScheduleTests.Setup(schedule: Self.everyKey)
    for job in try ScheduleFile.load(s.file) {
      // systemd's next elapses over every OnCalendar= line, merged, against the cron's own.
      var elapses: [Date] = []
      for spec in SystemdUnits.calendar(job.cron, zone: job.timeZone) {
        let (status, stdout, stderr) = try Self.shell(Self.analyze, ["calendar", "--iterations=6", spec])
        #expect(status == 0, "\(spec): \(stderr)")
        elapses += Self.utcTimes(stdout)
      }
      let fromSystemd = Array(Set(elapses).sorted().prefix(6))
      var fromCron: [Date] = []
      var cursor = Date()
      while fromCron.count < 6, let next = job.cron.next(after: cursor, in: job.timeZone) {
        fromCron.append(next)
        cursor = next
      }
      #expect(fromSystemd == fromCron, "\(job.name) (\(job.cron)): systemd \(fromSystemd) vs cron \(fromCron)")
    }
    #expect(SystemdUnits.calendar(try CronExpression("15 */6 1,15 * sun"), zone: .gmt).count == 2)
  }

  /// The elapses `systemd-analyze calendar` prints ("Next elapse: ...", "Iter. #2: ..."), run with TZ=UTC.
  static func utcTimes(_ text: String) -> [Date] {
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = TimeZone(identifier: "UTC")
    f.dateFormat = "EEE yyyy-MM-dd HH:mm:ss"
    return text.split(separator: "\n").compactMap { line in
      let text = line.trimmingCharacters(in: .whitespaces)
      guard text.hasPrefix("Next elapse: ") || text.hasPrefix("Iter. #"), let colon = text.firstIndex(of: ":") else {
        return nil
      }
      let when = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      return f.date(from: when.replacingOccurrences(of: " UTC", with: ""))
    }
  }

  @Test func theServiceRunsTriggerAndTheHistoryRecordsIt() async throws {
    let f = try await FakeFixture.start()
    let s = try ScheduleTests.Setup(
      schedule: """
        [[job]]
        name = "hire"
        script = "hire.lua"
        cron = "@daily"
        args = ["unit@example.com"]
        """)
    let out = s.home.appendingPathComponent("units").path
    #expect(try await run(["schedule", "export", "--file", s.file, "--systemd", out], home: s.home).status == 0)
    let service = try String(contentsOfFile: "\(out)/ashby-lua-hire.service", encoding: .utf8)
    let exec = try #require(service.split(separator: "\n").first { $0.hasPrefix("ExecStart=") }).dropFirst(10)
    let words = ReadmeTests.words(String(exec))
    #expect(words.dropFirst().prefix(3) == ["schedule", "trigger", "hire"])
    // As systemd would run it: the command line of the unit, from its working directory.
    let r = try await run(Array(words.dropFirst()), env: f.env, home: s.home)
    #expect(r.status == 0, "\(r.stderr)")
    let runs = try RunHistory(path: s.historyPath).runs(job: "hire")
    #expect(runs.count == 1 && runs[0].status == .ok && runs[0].trigger == .manual)
    #expect(f.fake.candidates(withEmail: "unit@example.com") == 1)
    let timer = try String(contentsOfFile: "\(out)/ashby-lua-hire.timer", encoding: .utf8)
    #expect(timer.contains("OnCalendar=*-*-* 00:00:00 ") && timer.contains("Persistent=false"))
    await f.fake.stop()
  }
}
