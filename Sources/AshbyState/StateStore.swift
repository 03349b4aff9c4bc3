import AshbyPaths
import Foundation

/// Everything the scheduler keeps: runs, the newest fire each job has handled
/// (so a restart knows what it missed), fire claims, leases, hook deliveries
/// and change-feed tokens, in an engine (`SQLiteEngine`, or PostgreSQL for
/// daemons on several hosts).
///
/// Several daemons may share it. Every change is one serialized transaction,
/// so a lease is held by one daemon at a time and a fire is claimed once.
/// Leases carry fencing numbers: a daemon that stalled past its lease (SIGSTOP,
/// a partition) cannot record over what its successor did.
public final class StateStore: Sendable {
  public let engine: any StateEngine

  public init(engine: any StateEngine) { self.engine = engine }

  /// A SQLite file.
  public convenience init(path: String) throws { self.init(engine: try SQLiteEngine(path: path)) }

  /// `$XDG_STATE_HOME/ashby-lua/schedule.sqlite`, else `~/.local/state/ashby-lua/schedule.sqlite`.
  public static func defaultPath(environment: [String: String]? = nil) -> String {
    UserFolders.state(environment: environment) + "/schedule.sqlite"
  }

  /// Where the state is, as it may be printed.
  public var location: String { engine.location }

  @discardableResult
  func write<T>(_ body: (any StateSQL) throws -> T) throws -> T { try engine.write(body) }
  /// Space freed by deletions, back to the file system where the engine can.
  public func reclaimSpace() throws { try engine.reclaimSpace() }
  func read<T>(_ body: (any StateSQL) throws -> T) throws -> T { try engine.read(body) }

  /// An expiry in the past: a lease released, its fencing number kept.
  static let released = Date(timeIntervalSince1970: 0)

  // MARK: Runs

  public func insert(_ record: RunRecord) throws -> RunRecord {
    try write { db in try Self.insert(db, record) }
  }

  static func insert(_ db: any StateSQL, _ record: RunRecord) throws -> RunRecord {
    let marks = Array(repeating: "?", count: record.values.count).joined(separator: ", ")
    var r = record
    r.id = try db.one("INSERT INTO runs(\(RunRecord.columns)) VALUES (\(marks)) RETURNING id", record.values)?.int("id")
    return r
  }

  /// Writes a run's row; a row that has ended already (a successor marked it
  /// `interrupted`) is never changed again. False when nothing was written.
  @discardableResult
  public func update(_ record: RunRecord) throws -> Bool {
    try write { db in try Self.update(db, record) }
  }

  static func update(_ db: any StateSQL, _ record: RunRecord) throws -> Bool {
    let sets = RunRecord.columns.split(separator: ",").map { "\($0.trimmingCharacters(in: .whitespaces)) = ?" }
    return try db.execute(
      "UPDATE runs SET \(sets.joined(separator: ", ")) WHERE id = ? AND status = 'running'",
      record.values + [record.id.stateValue]) > 0
  }

  /// The newest runs first.
  /// - Parameter hook: only a hook's deliveries and runs (`schedule history --hook`).
  public func runs(job: String? = nil, hook: String? = nil, limit: Int = 20) throws -> [RunRecord] {
    try read { db in
      var filters: [String] = []
      var arguments: [StateValue] = []
      if let job {
        filters.append("job = ?")
        arguments.append(.text(job))
      }
      if let hook {
        filters.append("job = ? AND trigger = 'webhook'")
        arguments.append(.text(hook))
      }
      let condition = filters.isEmpty ? "" : " WHERE " + filters.joined(separator: " AND ")
      return try db.fetch("\(RunRecord.selectAll)\(condition) ORDER BY id DESC LIMIT ?", arguments + [.int(Int64(limit))])
        .compactMap(RunRecord.init(row:))
    }
  }

  public func run(id: Int64) throws -> RunRecord? {
    try read { db in try db.one("\(RunRecord.selectAll) WHERE id = ?", [.int(id)]).flatMap(RunRecord.init(row:)) }
  }

  /// Forgets `job`'s finished runs past the newest `runs`, and those that
  /// ended before `before` (the job's `keep`).
  public func prune(_ job: String, keepingRuns runs: Int?, endedAfter before: Date?) throws {
    try write { db in try Self.prune(db, job, keepingRuns: runs, endedAfter: before) }
  }

  static func prune(_ db: any StateSQL, _ job: String, keepingRuns runs: Int?, endedAfter before: Date?) throws {
    if let runs {
      try db.execute(
        """
        DELETE FROM runs WHERE job = ? AND status != 'running'
          AND id NOT IN (SELECT id FROM runs WHERE job = ? ORDER BY id DESC LIMIT ?)
        """, values(job, job, runs))
    }
    if let before {
      try db.execute("DELETE FROM runs WHERE job = ? AND status != 'running' AND ended_at < ?", values(job, before))
    }
  }

  /// Runs left `running` by a daemon that is gone become `interrupted`, and
  /// its leases are freed: at once for `dead` owners (daemons of this host
  /// whose process is no more), after their lease's expiry for the others.
  /// A hook's run holds a delivery's lease, not a job's: `takeDelivery` ends it.
  public func markInterrupted(now: Date, dead: Set<String>) throws -> Int {
    try write { db in
      var changed = 0
      for owner in dead.sorted() {
        changed += try db.execute(
          """
          UPDATE runs SET status = 'interrupted', ended_at = ?,
            error = 'the daemon running it died; writes it made before are not counted'
          WHERE status = 'running' AND owner = ?
          """, values(now, owner))
        try db.execute("UPDATE leases SET expires_at = ? WHERE owner = ?", values(Self.released, owner))
      }
      return changed
        + (try db.execute(
          """
          UPDATE runs SET status = 'interrupted', ended_at = ?,
            error = 'the daemon running it stopped renewing its lease; writes it made before are not counted'
          WHERE status = 'running' AND trigger != 'webhook' AND NOT EXISTS (
            SELECT 1 FROM leases WHERE leases.job = runs.job AND leases.owner = runs.owner AND leases.expires_at > ?)
          """, values(now, now)))
    }
  }

  /// The owners of live leases and of runs still marked `running`.
  public func activeOwners() throws -> Set<String> {
    try read { db in
      Set(
        try db.fetch(
          "SELECT owner FROM leases WHERE expires_at > ? UNION SELECT owner FROM runs WHERE status = 'running'",
          [.date(Self.released)]
        ).compactMap { $0.string("owner") })
    }
  }

  // MARK: Fires

  public func lastFire(_ job: String) throws -> Date? {
    try read { db in try db.one("SELECT last_fire FROM fires WHERE job = ?", [.text(job)])?.date("last_fire") }
  }

  public func setLastFire(_ job: String, _ date: Date) throws {
    try write { db in
      try db.execute(
        "INSERT INTO fires(job, last_fire) VALUES (?, ?) ON CONFLICT(job) DO UPDATE SET last_fire = excluded.last_fire",
        values(job, date))
    }
  }

  /// How long claims are kept: far longer than any catch-up reaches back.
  static let claimsKept: TimeInterval = 40 * 24 * 3600

  static func isClaimed(_ db: any StateSQL, _ job: String, _ fire: Date) throws -> Bool {
    try db.one("SELECT 1 AS claimed FROM fire_claims WHERE job = ? AND fire = ?", values(job, fire)) != nil
  }

  static func claimFire(_ db: any StateSQL, _ job: String, _ fire: Date, owner: String) throws {
    try db.execute(
      "INSERT INTO fire_claims(job, fire, owner) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", values(job, fire, owner))
    try db.execute("DELETE FROM fire_claims WHERE job = ? AND fire < ?", values(job, fire - Self.claimsKept))
  }

  /// Claims a scheduled fire without running it (to record it skipped): false
  /// when a daemon sharing the state has claimed it already, so one fire gets one row.
  public func claimFire(_ job: String, _ fire: Date, owner: String = "") throws -> Bool {
    try write { db in
      if try Self.isClaimed(db, job, fire) { return false }
      try Self.claimFire(db, job, fire, owner: owner)
      return true
    }
  }
}
