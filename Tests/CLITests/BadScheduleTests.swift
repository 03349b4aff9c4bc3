import AshbyTestSupport
import Foundation
import Testing

/// Schedules files as people get them wrong: each must be refused by
/// `schedule validate` (and every command that reads it) with a one-line
/// problem naming file, line and key, exit 2, and no crash.
@Suite struct BadScheduleTests {
  struct Bad: CustomTestStringConvertible, Sendable {
    let name: String
    /// The file's text; `JOB` stands for a valid job's keys.
    let text: String
    let says: String
    /// The problem carries `file:LINE:`.
    var line: Int? = nil
    var testDescription: String { name }
  }

  static let job = "name = \"a\"\nscript = \"ok.lua\"\ncron = \"0 8 * * *\""

  static let cases: [Bad] = [
    Bad(name: "[job] instead of [[job]]", text: "[job]\n\(job)\n", says: "must be tables: [[job]]", line: 1),
    Bad(name: "a dotted key for a job", text: "job.name = \"a\"\n", says: "must be tables: [[job]]", line: 1),
    Bad(name: "an unknown top-level key", text: "colour = 1\n[[job]]\n\(job)\n", says: "unknown table or key", line: 1),
    Bad(name: "a misspelt job key", text: "[[job]]\n\(job)\nnmae = \"b\"\n", says: "unknown key", line: 5),
    Bad(name: "a problem inside an inline job", text: "job = [{ name = \"a\", script = \"ok.lua\", cron = \"99 * * * *\" }]\n", says: "minute field", line: 1),
    Bad(name: "no name", text: "[[job]]\nscript = \"ok.lua\"\ncron = \"@daily\"\n", says: "\"name\" is missing", line: 1),
    Bad(name: "no script", text: "[[job]]\nname = \"a\"\ncron = \"@daily\"\n", says: "\"script\" is missing", line: 1),
    Bad(name: "no cron", text: "[[job]]\nname = \"a\"\nscript = \"ok.lua\"\n", says: "\"cron\" is missing", line: 1),
    Bad(name: "a script that is not there", text: "[[job]]\nname = \"a\"\nscript = \"gone.lua\"\ncron = \"@daily\"\n", says: "no such file", line: 3),
    Bad(name: "a folder as the script", text: "[[job]]\nname = \"a\"\nscript = \"folder\"\ncron = \"@daily\"\n", says: "is a folder", line: 3),
    Bad(name: "a FIFO as the script", text: "[[job]]\nname = \"a\"\nscript = \"fifo\"\ncron = \"@daily\"\n", says: "is a FIFO", line: 3),
    Bad(name: "a bad cron field", text: "[[job]]\nname = \"a\"\nscript = \"ok.lua\"\ncron = \"0 8 * * funday\"\n", says: "day-of-week field", line: 4),
    Bad(name: "four cron fields", text: "[[job]]\nname = \"a\"\nscript = \"ok.lua\"\ncron = \"0 8 * *\"\n", says: "has 4 fields", line: 4),
    Bad(name: "@reboot", text: "[[job]]\nname = \"a\"\nscript = \"ok.lua\"\ncron = \"@reboot\"\n", says: "unknown macro", line: 4),
    Bad(name: "an abbreviation as zone", text: "[[job]]\n\(job)\ntimezone = \"PST\"\n", says: "IANA time zone", line: 5),
    Bad(name: "GMT+5 as zone", text: "[[job]]\n\(job)\ntimezone = \"GMT+5\"\n", says: "IANA time zone", line: 5),
    Bad(name: "an unknown overlap", text: "[[job]]\n\(job)\noverlap = \"sometimes\"\n", says: "overlap", line: 5),
    Bad(name: "an unknown catch_up", text: "[[job]]\n\(job)\ncatch_up = \"maybe\"\n", says: "catch_up", line: 5),
    Bad(name: "timeout = inf", text: "[[job]]\n\(job)\ntimeout = inf\n", says: "timeout", line: 5),
    Bad(name: "a negative timeout", text: "[[job]]\n\(job)\ntimeout = -5\n", says: "timeout", line: 5),
    Bad(name: "timeout = \"1e9h\"", text: "[[job]]\n\(job)\ntimeout = \"1e9h\"\n", says: "at most", line: 5),
    Bad(name: "timeout in words", text: "[[job]]\n\(job)\ntimeout = \"forever\"\n", says: "timeout", line: 5),
    Bad(name: "too many retries", text: "[[job]]\n\(job)\nretries = 11\n", says: "from 0 to 10", line: 5),
    Bad(name: "fractional retries", text: "[[job]]\n\(job)\nretries = 1.5\n", says: "from 0 to 10", line: 5),
    Bad(name: "retry_delay = nan", text: "[[job]]\n\(job)\nretry_delay = nan\n", says: "retry_delay", line: 5),
    Bad(name: "sandbox in words", text: "[[job]]\n\(job)\nsandbox = \"yes\"\n", says: "true or false", line: 5),
    Bad(name: "a bad api_version", text: "[[job]]\n\(job)\napi_version = \"next\"\n", says: "dated API version", line: 5),
    Bad(name: "an on_behalf_of with a newline", text: "[[job]]\n\(job)\non_behalf_of = \"a\\nb\"\n", says: "user id or email", line: 5),
    Bad(name: "numbers as args", text: "[[job]]\n\(job)\nargs = [1, 2]\n", says: "list of strings", line: 5),
    Bad(name: "--dry-run in args", text: "[[job]]\n\(job)\nargs = [\"x\", \"--dry-run\"]\n", says: "\"--dry-run\" is an option of ashby-lua run, and here it would go to the script, not to ashby-lua: set dry_run = true for the job instead, or put \"--\" before it", line: 5),
    Bad(name: "--base-url=URL in args", text: "[[job]]\n\(job)\nargs = [\"--base-url=http://127.0.0.1:1\"]\n", says: "\"--base-url\" is an option of ashby-lua run", line: 5),
    Bad(name: "two jobs of one name", text: "[[job]]\n\(job)\n[[job]]\n\(job)\n", says: "another job", line: 6),
    Bad(name: "a name with spaces", text: "[[job]]\nname = \"my job\"\nscript = \"ok.lua\"\ncron = \"@daily\"\n", says: "letters, digits", line: 2),
    Bad(name: "a bad env name", text: "[[job]]\n\(job)\nenv = { \"1BAD\" = \"x\" }\n", says: "variable name", line: 5),
    Bad(name: "the key in env", text: "[[job]]\n\(job)\nenv = { ASHBY_API_KEY = \"x\" }\n", says: "set by ashby-lua", line: 5),
    Bad(name: "keep = 0", text: "[[job]]\n\(job)\nkeep = 0\n", says: "keep", line: 5),
    Bad(name: "keep in words", text: "[[job]]\n\(job)\nkeep = \"soon\"\n", says: "keep", line: 5),
    Bad(name: "a negative grace", text: "[[job]]\n\(job)\ngrace = -1\n", says: "grace", line: 5),
    Bad(name: "on_failure as a number", text: "[[job]]\n\(job)\non_failure = 3\n", says: "on_failure", line: 5),
    Bad(name: "an on_failure script that is not there", text: "[[job]]\n\(job)\non_failure = \"missing.lua\"\n", says: "on_failure: no such file", line: 5),
    // A NUL would cut the string where it reaches C or the OS: refused, never shortened.
    Bad(name: "a NUL in the zone", text: "[[job]]\n\(job)\ntimezone = \"America/New_York\\u0000x\"\n", says: "timezone: a string here holds a NUL", line: 5),
    Bad(name: "names that differ after a NUL", text: "[[job]]\nname = \"a\\u0000one\"\nscript = \"ok.lua\"\ncron = \"@daily\"\n[[job]]\nname = \"a\\U00000000two\"\nscript = \"ok.lua\"\ncron = \"@daily\"\n", says: "name: a string here holds a NUL", line: 2),
    Bad(name: "a NUL in an env value", text: "[[job]]\n\(job)\nenv = { REGION = \"\"\"emea\\u0000\"\"\" }\n", says: "holds a NUL", line: 5),
    Bad(name: "a delivery_retention shorter than Ashby's retries", text: "delivery_retention = \"2h\"\n[[job]]\n\(job)\n", says: "delivery_retention: must be a duration from a day", line: 1),
    Bad(name: "a dotted key's bad value", text: "[[job]]\n\(job)\nkeep.runs = 0\n", says: "keep", line: 5),
    Bad(name: "a job-only key in [defaults]", text: "[defaults]\nname = \"x\"\n[[job]]\n\(job)\n", says: "in [defaults]", line: 2),
    Bad(name: "a TOML syntax error", text: "[[job]]\nname = \"a\nscript = 1\n", says: "Error while parsing", line: 2),
    Bad(name: "a key no key can start with", text: "[\u{FFFD}[job]]\n\(job)\n", says: "starts with a character", line: 1),
    Bad(name: "an empty file", text: "", says: "no jobs"),
  ]

  func folder() throws -> URL {
    let dir = try scratch()
    try "print('ok')".write(to: dir.appendingPathComponent("ok.lua"), atomically: true, encoding: .utf8)
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("folder"), withIntermediateDirectories: true)
    #expect(mkfifo(dir.appendingPathComponent("fifo").path, 0o600) == 0)
    return dir
  }

  @Test(arguments: cases)
  func isRefusedWithFileLineAndKey(_ bad: Bad) async throws {
    let dir = try folder()
    let file = dir.appendingPathComponent("schedules.toml").path
    try bad.text.write(toFile: file, atomically: true, encoding: .utf8)
    for command in ["validate", "list"] {
      let r = try await run(["schedule", command, "--file", file], home: dir, timeout: 20)
      #expect(r.status == 2, "\(bad.name) (\(command)): exit \(r.status)\n\(r.stderr)")
      #expect(r.stderr.contains(bad.says), "\(bad.name): \(r.stderr)")
      if let line = bad.line { #expect(r.stderr.contains("\(file):\(line):"), "\(bad.name): \(r.stderr)") }
      #expect(r.stderr.hasPrefix(file), "\(bad.name): \(r.stderr)")
    }
  }

  @Test func filesThatAreNotSchedulesSayWhatTheyAre() async throws {
    let dir = try folder()
    let binary = dir.appendingPathComponent("binary.toml")
    try Data([0xFF, 0xFE, 0x00]).write(to: binary)
    for (file, says) in [
      (dir.path, "is a folder"), (dir.appendingPathComponent("fifo").path, "is a FIFO"),
      (dir.appendingPathComponent("missing.toml").path, "no such file"), (binary.path, "is not UTF-8 text"),
    ] {
      let r = try await run(["schedule", "validate", "--file", file], home: dir, timeout: 20)
      // One line, naming the file.
      #expect(r.status == 2 && r.stderr.hasPrefix("\(file): \(says)") && r.stderr.filter { $0 == "\n" }.count == 1, "\(r.stderr)")
    }
  }

  @Test func aGoodFileValidates() async throws {
    let dir = try folder()
    let file = dir.appendingPathComponent("schedules.toml").path
    try "[defaults]\nkeep = { runs = 50, age = \"30d\" }\n[[job]]\n\(Self.job)\nenv = { REGION = \"emea\" }\ngrace = \"5m\"\non_failure = \"echo failed\"\n".write(
      toFile: file, atomically: true, encoding: .utf8)
    let r = try await run(["schedule", "validate", "--file", file], home: dir)
    #expect(r.status == 0 && r.stdout == "\(file): 1 job, no problems\n", "\(r.all)")
  }
}
