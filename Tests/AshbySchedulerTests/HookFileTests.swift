import AshbyWebhook
import Foundation
import Testing

@testable import AshbyScheduler

/// `[[hook]]` tables and the signature, below the binary.
@Suite struct HookFileTests {
  func folder() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hooks-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try "print(...)".write(to: dir.appendingPathComponent("h.lua"), atomically: true, encoding: .utf8)
    return dir.path
  }

  @Test func aHookTakesTheJobKeysThatMakeSenseAndItsOwn() throws {
    let dir = try folder()
    let schedule = try ScheduleFile.parseSchedule(
      """
      [defaults]
      timeout = "5m"

      [[hook]]
      name = "welcome"
      events = ["applicationSubmit", "candidateHire"]
      script = "h.lua"
      secret_env = "ASHBY_WEBHOOK_SECRET"
      retries = 3
      env = { TEAM = "emea" }

      [[hook]]
      name = "all"
      events = ["*"]
      script = "h.lua"
      secret_command = "pass show ashby-hook"
      sandbox = false
      """, file: "s.toml", folder: dir)
    #expect(schedule.jobs.isEmpty && schedule.hooks.count == 2)
    let welcome = schedule.hooks[0]
    #expect(welcome.events == ["applicationSubmit", "candidateHire"] && welcome.secret == .environment("ASHBY_WEBHOOK_SECRET"))
    #expect(welcome.job.timeout == 300 && welcome.job.retries == 3 && welcome.job.sandbox && welcome.job.environment == ["TEAM=emea"])
    #expect(welcome.wants("candidateHire") && !welcome.wants("offerCreate") && !welcome.wants("ping"))
    let all = schedule.hooks[1]
    #expect(all.events.isEmpty && all.wants("surveySubmit") && !all.job.sandbox && all.secret == .command("pass show ashby-hook"))
  }

  @Test func badHooksAreReportedWithLineAndKey() throws {
    let dir = try folder()
    #expect {
      try ScheduleFile.parseSchedule(
        """
        [[job]]
        name = "same"
        script = "h.lua"
        cron = "@daily"

        [[hook]]
        name = "same"
        events = ["*", "applicationSubmit"]
        script = "h.lua"
        secret_env = "A"
        secret_command = "b"
        cron = "@daily"
        args = ["x"]
        """, file: "s.toml", folder: dir)
    } throws: { error in
      let text = "\(error)"
      return text.contains("s.toml:7: hook \"same\".name: a job has this name")
        && text.contains("hook \"same\".events: \"*\" means every type")
        && text.contains("give one of secret_env, secret_command and unsigned = true")
        && text.contains("hook \"same\".cron: unknown key") && text.contains("hook \"same\".args: unknown key")
    }
  }

  @Test func theSecretIsReadFromItsSourceAndNeverShown() throws {
    let dir = try folder()
    let hook = try #require(
      try ScheduleFile.parseSchedule(
        "[[hook]]\nname = \"h\"\nevents = [\"*\"]\nscript = \"h.lua\"\nsecret_command = \"printf '  s3cr3t\\\\n'\"\n",
        file: "s.toml", folder: dir
      ).hooks.first)
    #expect(try hook.resolveSecret() == "s3cr3t")
    var failing = hook
    failing.secret = .command("echo s3cr3t; exit 3")
    #expect { try failing.resolveSecret() } throws: { "\($0)".contains("status 3") && !"\($0)".contains("s3cr3t") }
    failing.secret = .environment("NOPE_NOT_SET")
    #expect { try failing.resolveSecret(environment: [:]) } throws: { "\($0)".contains("NOPE_NOT_SET") }
  }

}
