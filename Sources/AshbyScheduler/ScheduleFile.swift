import AshbyCatalog
import AshbyProcess
import Foundation
import TOMLKit

/// `schedules.toml`: a `[defaults]` table (optional) and one `[[job]]` table per job.
///
/// ```toml
/// [defaults]
/// timezone = "Europe/Berlin"
///
/// [[job]]
/// name = "pipeline-report"
/// script = "pipeline-report.lua"   # relative to this file
/// cron = "0 8 * * mon-fri"
/// ```
///
/// Every problem is reported with the file, the line and the key, and all of
/// them at once, so one edit fixes the file.
public enum ScheduleFile {
  public struct Problem: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var line: Int?
    public var key: String?
    public var message: String
    public var description: String {
      "\(file)\(line.map { ":\($0)" } ?? ""): \(key.map { "\($0): " } ?? "")\(message)"
    }
  }

  /// All the problems of a file (at least one).
  public struct Problems: Error, CustomStringConvertible {
    public var all: [Problem]
    public var description: String { all.map(\.description).joined(separator: "\n") }
  }

  static let jobKeys: Set<String> = [
    "name", "script", "cron", "timezone", "overlap", "catch_up", "timeout", "retries", "retry_delay", "sandbox",
    "dry_run", "args", "grace", "env", "keep", "on_failure", "rate_limit", "strict_results",
    "api_version", "on_behalf_of", "max_writes", "plan_only",
  ]
  static let defaultKeys = jobKeys.subtracting(["name", "script", "cron", "args"])
  /// The keys outside any table.
  static let fileKeys = ["state", "state_password_command", "delivery_retention", "plans"]
  static let hookKeys: Set<String> = [
    "name", "events", "script", "secret_env", "secret_command", "unsigned", "timeout", "retries", "retry_delay",
    "sandbox", "dry_run", "env", "keep", "on_failure", "rate_limit", "strict_results", "api_version", "on_behalf_of",
    "max_writes", "plan_only",
  ]

  /// Every table and key a schedule file takes, as `schedule --help` says it.
  public static var keysHelp: String {
    """
    A schedule file has [[job]] tables (\(jobKeys.sorted().joined(separator: ", "))), an optional [defaults] \
    table (the same but name, script, cron and args), [[hook]] tables (\(hookKeys.sorted().joined(separator: ", "))), \
    [notify.NAME] tables for ashby.notify (url_env or url_command), and the keys \(fileKeys.joined(separator: ", ")).
    """
  }

  /// How long delivery ids are kept to know a redelivery, by default, and the bounds:
  /// at least a day, longer than Ashby's retries (about three hours).
  public static let defaultDeliveryRetention: TimeInterval = 7 * 86400
  public static let minDeliveryRetention: TimeInterval = 86400
  public static let maxDeliveryRetention: TimeInterval = 3650 * 86400

  /// Schedule files larger than this are refused (a schedule is a few KB).
  public static let maxBytes = 1 << 20

  /// The jobs of the file (`loadSchedule` for its hooks too).
  public static func load(_ path: String) throws(Problems) -> [ScheduledJob] { try loadSchedule(path).jobs }

  public static func parse(_ text: String, file: String, folder: String) throws(Problems) -> [ScheduledJob] {
    try parseSchedule(text, file: file, folder: folder).jobs
  }

  /// `runOptions` are `ashby-lua run`'s own options: a job's `args` may not
  /// name one before a `--` (`ScriptArguments`).
  public static func loadSchedule(_ path: String, runOptions: Set<String> = []) throws(Problems) -> Schedule {
    let text: String
    switch TextFile.load(path, maxBytes: maxBytes) {
    case .text(let t): text = t
    case .problem(let why): throw Problems(all: [Problem(file: path, message: why)])
    }
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
    return try parseSchedule(text, file: path, folder: folder, runOptions: runOptions)
  }

  public static func parseSchedule(
    _ text: String, file: String, folder: String, runOptions: Set<String> = []
  ) throws(Problems) -> Schedule {
    if let line = TOMLKeyGuard.badKeyLine(in: text) {
      throw Problems(all: [
        Problem(file: file, line: line, message: "a key starts with a character no key can have, or a } stands where a value belongs")
      ])
    }
    let nuls = TOMLNulGuard.problems(in: text, file: file)
    guard nuls.isEmpty else { throw Problems(all: nuls) }
    let root: TOMLTable
    do {
      root = try TOMLTable(string: text)
    } catch let error as TOMLParseError {
      throw Problems(all: [Problem(file: file, line: error.source.begin.line, message: error.description)])
    } catch {
      throw Problems(all: [Problem(file: file, message: "\(error)")])
    }
    var reader = ScheduleReader(file: file, folder: folder, lines: SourceLines(text))
    reader.runOptions = runOptions
    let schedule = reader.schedule(in: root)
    guard reader.problems.isEmpty else { throw Problems(all: reader.problems) }
    return schedule
  }
}

/// Reads the tables into jobs, collecting problems instead of stopping at the first.
struct ScheduleReader {
  let file: String
  let folder: String
  let lines: SourceLines
  var problems: [ScheduleFile.Problem] = []
  var runOptions: Set<String> = []

  init(file: String, folder: String, lines: SourceLines) {
    self.file = file
    self.folder = folder
    self.lines = lines
  }

  /// Where a key (or its table) is, for a problem report.
  struct Place {
    var section: String
    var occurrence: Int
    var label: String
  }

  mutating func problem(_ place: Place, _ key: String?, _ message: String) {
    let table = place.section.isEmpty ? place.label : place.section.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
    let line =
      lines.line(of: key, section: place.section, occurrence: place.occurrence)
      ?? key.flatMap(lines.firstMention) ?? lines.firstMention(of: table)
    problems.append(
      ScheduleFile.Problem(
        file: file, line: line, key: key.map { "\(place.label).\($0)" } ?? place.label, message: message))
  }

  mutating func schedule(in root: TOMLTable) -> Schedule {
    for key in root.keys
    where !(["job", "defaults", "hook", "notify"] + ScheduleFile.fileKeys).contains(key) {
      problems.append(
        ScheduleFile.Problem(
          file: file, line: lines.line(of: key, section: "", occurrence: 0) ?? lines.header(key), key: key,
          message:
            "unknown table or key; a schedule file has [defaults], [[job]], [[hook]] and [notify.NAME] tables, and the keys \(ScheduleFile.fileKeys.joined(separator: ", "))"
        ))
    }
    let retention = deliveryRetention(in: root)
    var stateKeys: [String: String] = [:]
    for key in ["state", "state_password_command"] where root[key] != nil {
      guard let value = root[key]?.string, !value.isEmpty else {
        problem(Place(section: "", occurrence: 0, label: key), nil, "must be a string (before any table)")
        continue
      }
      stateKeys[key] = value
    }
    var defaults = ScheduledJob(name: "", script: "", cron: .midnight, timeZone: .current)
    if let table = root["defaults"]?.table {
      apply(
        table, to: &defaults, place: Place(section: "defaults", occurrence: 0, label: "defaults"),
        allowed: ScheduleFile.defaultKeys)
    } else if root["defaults"] != nil {
      problem(Place(section: "", occurrence: 0, label: "defaults"), nil, "must be a table: [defaults]")
    }
    if root["job"] == nil && root["hook"] == nil {
      problems.append(
        ScheduleFile.Problem(
          file: file, message: "no jobs: add a [[job]] table with name, script and cron (or a [[hook]] table)"))
      return Schedule(jobs: [], hooks: [])
    }
    defaults.plansFolder = plansFolder(in: root)
    let jobs = self.jobs(in: root, defaults: defaults)
    let hooks = root["hook"] == nil ? [] : self.hooks(in: root, defaults: defaults, jobNames: Set(jobs.map(\.name)))
    var schedule = Schedule(
      jobs: jobs, hooks: hooks, state: stateKeys["state"], statePasswordCommand: stateKeys["state_password_command"])
    schedule.deliveryRetention = retention
    schedule.notify = notifyTargets(in: root)
    return schedule
  }

  /// The script of a job or a hook, made absolute and checked.
  mutating func script(_ table: TOMLTable, _ place: Place) -> String? {
    guard let script = requiredString(table, "script", place) else { return nil }
    let path = script.hasPrefix("/") ? script : URL(fileURLWithPath: folder).appendingPathComponent(script).path
    if let why = TextFile.notAScript(path) {
      problem(place, "script", "\(why): \(path)")
      return nil
    }
    return path
  }

  /// A job's or a hook's name: present, and made of characters a log and a URL path keep as they are.
  mutating func name(_ table: TOMLTable, _ place: Place, seen: inout [String: Int], index: Int, what: String) -> String? {
    let name = requiredString(table, "name", place)
    let named = Place(section: place.section, occurrence: index, label: name.map { "\(what) \"\($0)\"" } ?? place.label)
    if let name, !name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }) {
      problem(named, "name", "use letters, digits, \"-\", \"_\" and \".\" only")
    }
    if let name, let first = seen[name] {
      problem(named, "name", "another \(what) (number \(first)) has this name")
    }
    if let name { seen[name] = index + 1 }
    return name
  }

  mutating func jobs(in root: TOMLTable, defaults: ScheduledJob) -> [ScheduledJob] {
    guard let list = root["job"]?.array else {
      if root["job"] != nil { problem(Place(section: "", occurrence: 0, label: "job"), nil, "must be tables: [[job]]") }
      return []
    }
    var jobs: [ScheduledJob] = []
    var seen: [String: Int] = [:]
    for (i, value) in list.enumerated() {
      let place = Place(section: "[job]", occurrence: i, label: "job[\(i + 1)]")
      guard let table = value.table else {
        problem(place, nil, "must be a table")
        continue
      }
      var job = defaults
      job.directory = folder
      let before = problems.count
      let name = name(table, place, seen: &seen, index: i, what: "job")
      let named = Place(section: place.section, occurrence: i, label: name.map { "job \"\($0)\"" } ?? place.label)
      job.name = name ?? ""
      if let path = script(table, named) { job.script = path }
      if let cron = requiredString(table, "cron", named) {
        do {
          job.cron = try CronExpression(cron)
        } catch {
          problem(named, "cron", error.description)
        }
      }
      apply(table, to: &job, place: named, allowed: ScheduleFile.jobKeys)
      if problems.count == before { jobs.append(job) }
    }
    return jobs
  }

  /// `keep = 200` (runs), `keep = "90d"` (age), or `keep = { runs = 200, age = "90d" }`.
  mutating func applyKeep(_ v: any TOMLValueConvertible, to job: inout ScheduledJob, place: Place) {
    let fail = "must be a number of runs (1 to 1000000), an age like \"90d\", or { runs = N, age = \"90d\" }"
    func runs(_ value: any TOMLValueConvertible) -> Int? { value.int.flatMap { (1...1_000_000).contains($0) ? $0 : nil } }
    func age(_ value: any TOMLValueConvertible) -> TimeInterval? {
      guard value.string != nil, let s = Self.seconds(value), s > 0, s <= 100 * 366 * 86400 else { return nil }
      return s
    }
    if let n = runs(v) {
      (job.keepRuns, job.keepAge) = (n, nil)
    } else if let a = age(v) {
      (job.keepRuns, job.keepAge) = (nil, a)
    } else if let t = v.table, !t.keys.isEmpty, Set(t.keys).isSubset(of: ["runs", "age"]) {
      let n = t["runs"].flatMap(runs)
      let a = t["age"].flatMap(age)
      if (t["runs"] != nil && n == nil) || (t["age"] != nil && a == nil) { problem(place, "keep", fail) }
      (job.keepRuns, job.keepAge) = (n, a)
    } else {
      problem(place, "keep", fail)
    }
  }

  mutating func requiredString(_ table: TOMLTable, _ key: String, _ place: Place) -> String? {
    guard let value = table[key] else {
      problem(place, nil, "\"\(key)\" is missing")
      return nil
    }
    guard let s = value.string, !s.isEmpty else {
      problem(place, key, "must be a non-empty string")
      return nil
    }
    return s
  }

  /// The optional keys (in a job, or in [defaults]).
  /// A key in seconds or a duration (`"90s"`, `"15m"`): `set` with it when it is in
  /// bounds (`above` excludes its bound, `from` includes it), else the problem, saying what it `must` be.
  mutating func duration(
    _ table: TOMLTable, _ key: String, _ place: Place, above: Double? = nil, from: Double? = nil, upTo: Double,
    must: String, set: (Double) -> Void
  ) {
    guard let v = table[key] else { return }
    if let seconds = Self.seconds(v), seconds <= upTo, above.map({ seconds > $0 }) ?? true,
      from.map({ seconds >= $0 }) ?? true
    {
      set(seconds)
    } else {
      problem(place, key, "must be " + must)
    }
  }

  mutating func apply(_ table: TOMLTable, to job: inout ScheduledJob, place: Place, allowed: Set<String>) {
    for key in table.keys where !allowed.contains(key) {
      let hint = allowed == ScheduleFile.defaultKeys ? " in [defaults]" : ""
      problem(place, key, "unknown key\(hint); known: \(allowed.sorted().joined(separator: ", "))")
    }
    if let v = table["timezone"] {
      if let name = v.string, let zone = ScheduledJob.zone(named: name) {
        job.timeZone = zone
        job.zoneName = name
      } else if let name = v.string, name.contains("/"),  // an Area/Location misspelt; never a guess at "PST"
        let near = Suggestion.closest(name, TimeZone.knownTimeZoneIdentifiers.filter { $0.contains("/") })
      {
        problem(place, "timezone", "\"\(v.string ?? "")\" is not an IANA time zone name (did you mean \"\(near)\"?)")
      } else {
        problem(
          place, "timezone",
          "must be an IANA time zone name like \"Europe/Berlin\" or \"UTC\" (abbreviations like \"PST\" and offsets like \"GMT+5\" are ambiguous)"
        )
      }
    }
    if let v = table["overlap"] {
      if let o = v.string.flatMap(ScheduledJob.Overlap.init(rawValue:)) {
        job.overlap = o
      } else {
        problem(place, "overlap", "must be one of \"skip\", \"queue\", \"replace\"")
      }
    }
    if let v = table["catch_up"] {
      if let c = v.string.flatMap(ScheduledJob.CatchUp.init(rawValue:)) {
        job.catchUp = c
      } else {
        problem(place, "catch_up", "must be one of \"none\", \"last\", \"all\"")
      }
    }
    duration(
      table, "timeout", place, above: 0, upTo: RunLimits.maxTimeout,
      must: "a number of seconds above 0 and at most \(Int(RunLimits.maxTimeout)) (a year), or a duration like \"90s\", \"15m\", \"2h\""  // Int of a constant
    ) { job.timeout = $0 }
    duration(
      table, "retry_delay", place, from: 0, upTo: Self.maxRetryDelay,
      must: "a number of seconds from 0 to \(Int(Self.maxRetryDelay)) (a day), or a duration like \"30s\""  // Int of a constant
    ) { job.retryDelay = $0 }
    if let v = table["rate_limit"] {
      if let n = v.int, RunLimits.rateLimit.contains(n) {
        job.rateLimit = n
      } else {
        problem(place, "rate_limit", "must be a whole number of requests per minute from 1 to \(RunLimits.rateLimit.upperBound)")
      }
    }
    if let v = table["max_writes"] {
      if let n = v.int, RunLimits.maxWrites.contains(n) {
        job.maxWrites = n
      } else {
        problem(place, "max_writes", "must be a whole number of writes from 0 to \(RunLimits.maxWrites.upperBound)")
      }
    }
    if let v = table["retries"] {
      if let n = v.int, (0...10).contains(n) {
        job.retries = n
      } else {
        problem(place, "retries", "must be a whole number from 0 to 10")
      }
    }
    for key in ["sandbox", "dry_run", "strict_results", "plan_only"] {
      guard let v = table[key] else { continue }
      guard let b = v.bool else {
        problem(place, key, "must be true or false")
        continue
      }
      switch key {
      case "sandbox": job.sandbox = b
      case "dry_run": job.dryRun = b
      case "plan_only": job.planOnly = b
      default: job.strictResults = b
      }
    }
    duration(
      table, "grace", place, from: 0, upTo: RunLimits.maxTimeout,
      must: "a number of seconds from 0 to \(Int(RunLimits.maxTimeout)), or a duration like \"5m\""  // Int of a constant
    ) { job.grace = $0 }
    if let v = table["keep"] {
      applyKeep(v, to: &job, place: place)
    }
    if let v = table["on_failure"] {
      if let command = v.string, !command.trimmingCharacters(in: .whitespaces).isEmpty {
        job.onFailure = command
        // A script is checked as the job's own is: a missing one shows now, not after the first failure.
        if command.hasSuffix(".lua") {
          let path = command.hasPrefix("/") ? command : URL(fileURLWithPath: folder).appendingPathComponent(command).path
          if let why = TextFile.notAScript(path) { problem(place, "on_failure", "\(why): \(path)") }
        }
      } else {
        problem(place, "on_failure", "must be a command (run with /bin/sh -c) or a .lua script, as a string")
      }
    }
    if let v = table["env"] {
      if let env = v.table {
        for key in env.keys.sorted() {
          guard let value = env[key]?.string else {
            problem(place, "env", "\"\(key)\" must be a string")
            continue
          }
          if let why = Self.badEnvironmentName(key) { problem(place, "env", "\"\(key)\": \(why)") }
          job.environment.removeAll { $0.hasPrefix("\(key)=") }
          job.environment.append("\(key)=\(value)")
        }
      } else {
        problem(place, "env", "must be a table of strings, like env = { REGION = \"emea\" }")
      }
    }
    if let v = table["api_version"] {
      if let text = v.string, Catalog.isAPIVersion(text) {
        job.apiVersion = text
      } else {
        problem(place, "api_version", "must be a dated API version like \"\(Catalog.apiVersion)\"")
      }
    }
    if let v = table["on_behalf_of"] {
      if let text = v.string, Catalog.isOnBehalfOf(text) {
        job.onBehalfOf = text
      } else {
        problem(place, "on_behalf_of", "must be an Ashby user id or email (printable, no spaces)")
      }
    }
    if let v = table["args"] {
      if let list = v.array, case let strings = list.compactMap(\.string), strings.count == list.count {
        job.args = strings
        if let option = ScriptArguments.misplacedOption(in: strings, options: runOptions) {
          let key = ScriptArguments.jobKey(for: option).map { "set \($0) for the job instead, or " } ?? ""
          problem(
            place, "args",
            "\"\(option)\" is an option of ashby-lua run, and here it would go to the script, not to ashby-lua: \(key)put \"--\" before it in args to pass it to the script"
          )
        }
      } else {
        problem(place, "args", "must be a list of strings")
      }
    }
  }
}
