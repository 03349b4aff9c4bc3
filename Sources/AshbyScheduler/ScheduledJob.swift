import Foundation

/// One `[[job]]` of `schedules.toml`, checked.
public struct ScheduledJob: Sendable, Equatable {
  /// What to do when the job fires while its last run is still going.
  public enum Overlap: String, Sendable, CaseIterable {
    /// Let the running one finish; record the new fire as skipped (the default).
    case skip
    /// Run once more after it finishes (at most one waits; more fires are skipped).
    case queue
    /// Stop the running one and start anew.
    case replace
  }

  /// What to do with fires missed while no daemon ran (or the machine slept).
  public enum CatchUp: String, Sendable, CaseIterable {
    /// Nothing: as cron (the default).
    case none
    /// One run for the newest missed fire.
    case last
    /// A run for each missed fire, oldest first, at most `ScheduledJob.catchUpLimit`.
    case all
  }

  /// `catch_up = "all"` never starts more runs than this at once.
  public static let catchUpLimit = 10

  public var name: String
  /// Absolute path (the file gives it relative to itself).
  public var script: String
  public var cron: CronExpression
  public var timeZone: TimeZone
  /// The zone as the file names it, for display: Foundation calls `UTC` "GMT".
  public var zoneName: String
  public var overlap: Overlap = .skip
  public var catchUp: CatchUp = .none
  /// Seconds one attempt may take (the script is stopped after it, `pcall` or not).
  public var timeout: Double = 3600
  /// Extra attempts after a failed or timed-out run, with backoff and jitter.
  public var retries: Int = 0
  /// Seconds of the first backoff step; it doubles per retry, up to ten minutes.
  public var retryDelay: Double = 30
  /// Ashby requests per minute for the run (`rate_limit`; nil: ashby-lua's default or the config's).
  public var rateLimit: Int?
  /// At most this many writes per run (`max_writes`; nil: no cap).
  public var maxWrites: Int?
  /// On unless the file says `sandbox = false`: a script left to run on its own gets no files (DESIGN.md §9).
  public var sandbox = true
  public var dryRun = false
  /// Runs save plans instead of writing (`plan_only`), into `plansFolder`, for a person to review and apply.
  public var planOnly = false
  public var plansFolder: String?
  /// `Ashby-Version` for the run (`api_version`; nil: the config's or the catalog's).
  public var apiVersion: String?
  /// Writes attributed to this Ashby user (`on_behalf_of`, sent as `X-On-Behalf-Of`).
  public var onBehalfOf: String?
  /// Result tables raise for a field their object does not have (`strict_results = false`: nil).
  public var strictResults = true
  public var args: [String] = []
  /// `NAME=value` for the script's environment (`env`; not for secrets: the history and `list --json` show them).
  public var environment: [String] = []
  /// A fire that starts later than this after its time is `skipped: missed` (a
  /// busy or sleeping machine), unless `catch_up` says to run it late.
  public var grace: TimeInterval = 60
  /// How much of this job's history to keep (`keep`): the newest runs, and/or runs younger than an age.
  public var keepRuns: Int? = 1000
  public var keepAge: TimeInterval?
  /// A command (`/bin/sh -c`) or a `.lua` script run after a run that ended
  /// `failed` or `timeout`, with the run's record as JSON (`on_failure`).
  public var onFailure: String?
  /// Where the script runs: the schedule file's folder.
  public var directory = "."

  public init(name: String, script: String, cron: CronExpression, timeZone: TimeZone) {
    self.name = name
    self.script = script
    self.cron = cron
    self.timeZone = timeZone
    self.zoneName = timeZone.identifier
  }

  /// An IANA zone by its name (or `UTC`); nil for anything else. Foundation
  /// also takes abbreviations (`PST`, `IST`: which one?) and `GMT+5`, read
  /// with the opposite sign of IANA's `Etc/GMT+5`; a schedule must not guess.
  public static func zone(named name: String) -> TimeZone? {
    // Area/Location names (Etc/GMT+5, US/Eastern links too) and the ones Foundation lists.
    guard name == "UTC" || name.contains("/") || TimeZone.knownTimeZoneIdentifiers.contains(name) else { return nil }
    return TimeZone(identifier: name)
  }

  /// A fire time as the daemon's log and `schedule list` show it: wall clock and offset in `zone`.
  public static func format(_ date: Date, in zone: TimeZone) -> String {
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = zone
    f.dateFormat = "yyyy-MM-dd HH:mm xxx"
    return f.string(from: date)
  }

  /// Seconds a whole run may take, every attempt and the longest waits
  /// between them, plus a minute to record its end: what an engine that
  /// starts `schedule trigger` should allow it (at most 11 years: timeout ≤ a year, retries ≤ 10).
  public var runBudget: Int64 {
    Int64((timeout * Double(retries + 1) + 600 * Double(retries) + 60).rounded(.up))  // ≤ 11 years of seconds
  }

  /// Full jitter on an exponential step: a random wait up to `retryDelay`,
  /// then twice that, ... up to ten minutes. `retry` counts from 1.
  public func backoff(beforeRetry retry: Int) -> Double {
    Double.random(in: 0...min(600, retryDelay * pow(2, Double(max(0, retry - 1)))))
  }

  /// The job's next `count` fires after `date`.
  public func fires(after date: Date, count: Int) -> [Date] {
    var fires: [Date] = []
    var cursor = date
    while fires.count < count, let next = cron.next(after: cursor, in: timeZone) {
      fires.append(next)
      cursor = next
    }
    return fires
  }
}
