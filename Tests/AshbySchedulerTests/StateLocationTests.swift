import AshbyPostgres
import Foundation
import AshbyTestSupport
import Testing

@testable import AshbyScheduler
import AshbyState

/// Where the state is: the flag, the environment, the schedule file; and PostgreSQL states.
@Suite struct StateLocationTests {
  @Test func theScheduleFileMayNameTheState() throws {
    let dir = try ScheduleFileTests.folder()
    let schedule = try ScheduleFile.parseSchedule(
      """
      state = "postgres://ashby@db/ashby"
      state_password_command = "pass show db"

      [[job]]
      name = "report"
      script = "report.lua"
      cron = "@daily"
      """, file: "s.toml", folder: dir)
    #expect(schedule.state == "postgres://ashby@db/ashby" && schedule.statePasswordCommand == "pass show db")
    do {
      _ = try ScheduleFile.parseSchedule(
        """
        state = 5

        [[job]]
        name = "report"
        script = "report.lua"
        cron = "@daily"
        """, file: "s.toml", folder: dir)
      Issue.record("a number for state was taken")
    } catch {
      #expect(error.description.contains("s.toml:1") && error.description.contains("state: must be a string"), "\(error)")
    }
  }

  @Test(.enabled(if: FreshState.postgres != nil, "needs ASHBY_TEST_POSTGRES"))
  func aPasswordCommandReachesTheServer() throws {
    let url = try FreshState.database()
    let password = try #require(ProcessInfo.processInfo.environment["PGPASSWORD"])
    let engine = try PostgresEngine(try PostgresLocation(url), passwordCommand: "printf %s '\(password)'")
    #expect(StateStore(engine: engine).location.hasPrefix("postgres://"))
    #expect(throws: (any Error).self) { try PostgresEngine(try PostgresLocation(url), passwordCommand: "echo wrong") }
  }

  @Test(.enabled(if: FreshState.postgres != nil, "needs ASHBY_TEST_POSTGRES"))
  func aConnectionTheServerEndedIsMadeAgain() throws {
    let url = try FreshState.database()
    let store = try FreshState.open(url)
    try store.setLastFire("j", Date(timeIntervalSince1970: 1_800_000_000))
    let database = try #require(URLComponents(string: url)?.path.dropFirst())
    let psql = Process()
    psql.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
    psql.arguments = [
      "-X", "-q", try #require(FreshState.postgres), "-c",
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(database)' AND pid <> pg_backend_pid()",
    ]
    psql.standardOutput = FileHandle.nullDevice
    try psql.run()
    psql.waitUntilExit()
    #expect(psql.terminationStatus == 0)
    try store.setLastFire("j", Date(timeIntervalSince1970: 1_800_000_060))
    #expect(try store.lastFire("j") == Date(timeIntervalSince1970: 1_800_000_060))
  }
}
