import Foundation
import GRDB

/// How a run ended (or that it is still going).
public enum RunStatus: String, Sendable, Codable, CaseIterable {
  case running, ok, failed, timeout
  /// Stopped by the scheduler itself (`overlap = "replace"`, Ctrl-C on `trigger`).
  case cancelled
  /// Stopped from outside, or by a daemon that stopped or died while it ran: never retried.
  case interrupted
  /// Not run; `error` says why.
  case skipped
  /// Histories before `interrupted` existed said this for a run a daemon left `running`.
  case abandoned
}

/// Why a run started.
public enum RunTrigger: String, Sendable, Codable {
  case schedule
  /// A fire missed while no daemon ran, run late under `catch_up`.
  case catchUp = "catch_up"
  /// `schedule trigger`.
  case manual
  /// An Ashby webhook delivery to a `[[hook]]`.
  case webhook
}

/// One row of the history.
public struct RunRecord: Sendable, Codable, Equatable, FetchableRecord, MutablePersistableRecord {
  public static let databaseTableName = "runs"
  public var id: Int64?
  public var job: String
  public var trigger: RunTrigger
  /// The fire time this run is for (nil for a manual run).
  public var scheduledFor: Date?
  public var startedAt: Date
  public var endedAt: Date?
  public var status: RunStatus
  public var exitCode: Int?
  public var attempts: Int
  /// Writes that reached Ashby (planned ones, under dry run).
  public var writes: Int
  public var dryRun: Bool
  public var error: String?
  public var owner: String
  /// The end of what the run printed (`OutputTail.capacity`), for `schedule logs`.
  public var output: String?
  /// For a hook's run: the event (`applicationSubmit 3f2a…`), as `DeliveryRecord.summary` says it.
  public var event: String?

  enum CodingKeys: String, CodingKey {
    case id, job, trigger, status, attempts, writes, error, owner, output, event
    case scheduledFor = "scheduled_for"
    case startedAt = "started_at"
    case endedAt = "ended_at"
    case exitCode = "exit_code"
    case dryRun = "dry_run"
  }

  public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension RunRecord {
  public init(
    job: String, trigger: RunTrigger, scheduledFor: Date?, startedAt: Date, endedAt: Date?, status: RunStatus,
    attempts: Int, writes: Int, error: String?, owner: String
  ) {
    self.init(
      id: nil, job: job, trigger: trigger, scheduledFor: scheduledFor, startedAt: startedAt, endedAt: endedAt,
      status: status, exitCode: nil, attempts: attempts, writes: writes, dryRun: false, error: error, owner: owner,
      output: nil, event: nil)
  }
}

/// The scheduler's SQLite file: runs, the newest fire each job has handled
/// (so a restart knows what it missed), and leases.
///
/// Several daemons may share the file; every change is one immediate
/// transaction, so a lease is held by one of them at a time.
public final class RunHistory: Sendable {
  let queue: DatabaseQueue

  /// `$XDG_STATE_HOME/ashby-lua/schedule.sqlite`, else `~/.local/state/ashby-lua/schedule.sqlite`.
  public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
    let state =
      environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
      ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.local/state"
    return state + "/ashby-lua/schedule.sqlite"
  }

  public init(path: String) throws {
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
    try FileManager.default.createDirectory(
      atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    var configuration = Configuration()
    configuration.busyMode = .timeout(10)
    // Write-ahead logging: a commit is one append and one fsync (synchronous
    // = FULL keeps each one on disk before it returns, power loss included),
    // and readers (`schedule history`, a hook's 2xx) never wait on a writer.
    configuration.prepareDatabase { db in
      try db.execute(sql: "PRAGMA journal_mode = WAL")
      try db.execute(sql: "PRAGMA synchronous = FULL")
    }
    queue = try DatabaseQueue(path: path, configuration: configuration)
    try Self.migrator.migrate(queue)
  }

  static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1") { db in
      try db.create(table: "runs") { t in
        t.autoIncrementedPrimaryKey("id")
        t.column("job", .text).notNull().indexed()
        t.column("trigger", .text).notNull()
        t.column("scheduled_for", .datetime)
        t.column("started_at", .datetime).notNull()
        t.column("ended_at", .datetime)
        t.column("status", .text).notNull()
        t.column("exit_code", .integer)
        t.column("attempts", .integer).notNull()
        t.column("writes", .integer).notNull()
        t.column("dry_run", .boolean).notNull()
        t.column("error", .text)
        t.column("owner", .text).notNull()
      }
      try db.create(table: "fires") { t in
        t.primaryKey("job", .text)
        t.column("last_fire", .datetime).notNull()
        t.column("claimed_fire", .datetime)
      }
      try db.create(table: "leases") { t in
        t.primaryKey("job", .text)
        t.column("owner", .text).notNull()
        t.column("expires_at", .datetime).notNull()
      }
    }
    migrator.registerMigration("v2: output") { db in
      try db.alter(table: "runs") { t in t.add(column: "output", .text) }
    }
    // One row per fire claimed (run or recorded skipped) by some daemon: a fire
    // is claimed once, whatever order queued, late and skipped fires come in.
    migrator.registerMigration("v3: fire claims") { db in
      try db.create(table: "fire_claims") { t in
        t.column("job", .text).notNull()
        t.column("fire", .datetime).notNull()
        t.column("owner", .text).notNull()
        t.primaryKey(["job", "fire"])
      }
    }
    // Hooks: each delivery kept until it has run (durable across a crash,
    // deduplicated by webhookActionId per hook); the runs say which event;
    // `ashby.changes` keeps its sync tokens per state (job) and endpoint.
    migrator.registerMigration("v4: hooks and change feeds") { db in
      try db.alter(table: "runs") { t in t.add(column: "event", .text) }
      try db.create(table: "deliveries") { t in
        t.autoIncrementedPrimaryKey("id")
        t.column("hook", .text).notNull()
        t.column("action_id", .text).notNull()
        t.column("action", .text).notNull()
        t.column("body", .blob).notNull()
        t.column("received_at", .datetime).notNull()
        t.column("status", .text).notNull().indexed()
        t.column("owner", .text)
        t.column("run_id", .integer)
        t.uniqueKey(["hook", "action_id"])
      }
      try db.create(table: "sync_tokens") { t in
        t.column("state", .text).notNull()
        t.column("endpoint", .text).notNull()
        t.column("token", .text).notNull()
        t.column("updated_at", .datetime).notNull()
        t.primaryKey(["state", "endpoint"])
      }
    }
    return migrator
  }

  func write<T>(_ body: (Database) throws -> T) throws -> T {
    try queue.writeWithoutTransaction { db in
      var result: T?
      try db.inTransaction(.immediate) {
        result = try body(db)
        return .commit
      }
      guard let result else { throw DatabaseError(message: "the transaction did not run") }
      return result
    }
  }

  // MARK: Runs

  public func insert(_ record: RunRecord) throws -> RunRecord {
    try write { db in
      var r = record
      try r.insert(db)
      return r
    }
  }

  public func update(_ record: RunRecord) throws {
    try write { db in try record.update(db) }
  }

  /// The newest runs first.
  /// - Parameter hook: only a hook's deliveries and runs (`schedule history --hook`).
  public func runs(job: String? = nil, hook: String? = nil, limit: Int = 20) throws -> [RunRecord] {
    try queue.read { db in
      var request = RunRecord.order(Column("id").desc).limit(limit)
      if let job { request = request.filter(Column("job") == job) }
      if let hook {
        request = request.filter(Column("job") == hook && Column("trigger") == RunTrigger.webhook.rawValue)
      }
      return try request.fetchAll(db)
    }
  }

  public func run(id: Int64) throws -> RunRecord? {
    try queue.read { db in try RunRecord.fetchOne(db, key: id) }
  }

  /// Forgets `job`'s finished runs past the newest `runs`, and those that
  /// ended before `before` (the job's `keep`).
  public func prune(_ job: String, keepingRuns runs: Int?, endedAfter before: Date?) throws {
    try write { db in try Self.prune(db, job, keepingRuns: runs, endedAfter: before) }
  }

  static func prune(_ db: Database, _ job: String, keepingRuns runs: Int?, endedAfter before: Date?) throws {
    if let runs {
      try db.execute(
        sql: """
          DELETE FROM runs WHERE job = ? AND status != 'running'
            AND id NOT IN (SELECT id FROM runs WHERE job = ? ORDER BY id DESC LIMIT ?)
          """, arguments: [job, job, runs])
    }
    if let before {
      try db.execute(
        sql: "DELETE FROM runs WHERE job = ? AND status != 'running' AND ended_at < ?", arguments: [job, before])
    }
  }

  /// Runs left `running` by a daemon that is gone become `interrupted`, and
  /// its leases are freed: at once for `dead` owners (daemons of this host
  /// whose process is no more), after their lease's expiry for the others.
  /// A hook's run holds no lease, so only its owner's death ends it here.
  public func markInterrupted(now: Date, dead: Set<String>) throws -> Int {
    try write { db in
      var changed = 0
      for owner in dead.sorted() {
        try db.execute(
          sql: """
            UPDATE runs SET status = 'interrupted', ended_at = ?,
              error = 'the daemon running it died; writes it made before are not counted'
            WHERE status = 'running' AND owner = ?
            """, arguments: [now, owner])
        changed += db.changesCount
        try db.execute(sql: "DELETE FROM leases WHERE owner = ?", arguments: [owner])
      }
      try db.execute(
        sql: """
          UPDATE runs SET status = 'interrupted', ended_at = ?,
            error = 'the daemon running it stopped renewing its lease; writes it made before are not counted'
          WHERE status = 'running' AND trigger != 'webhook' AND NOT EXISTS (
            SELECT 1 FROM leases WHERE leases.job = runs.job AND leases.owner = runs.owner AND leases.expires_at > ?)
          """, arguments: [now, now])
      return changed + db.changesCount
    }
  }

  /// The owners of leases and of runs still marked `running`.
  public func activeOwners() throws -> Set<String> {
    try queue.read { db in
      Set(
        try String.fetchAll(
          db, sql: "SELECT owner FROM leases UNION SELECT owner FROM runs WHERE status = 'running'"))
    }
  }

  // MARK: Fires

  public func lastFire(_ job: String) throws -> Date? {
    try queue.read { db in try Date.fetchOne(db, sql: "SELECT last_fire FROM fires WHERE job = ?", arguments: [job]) }
  }

  public func setLastFire(_ job: String, _ date: Date) throws {
    try write { db in
      try db.execute(
        sql:
          "INSERT INTO fires(job, last_fire) VALUES (?, ?) ON CONFLICT(job) DO UPDATE SET last_fire = excluded.last_fire",
        arguments: [job, date])
    }
  }

  // MARK: Leases

  /// What `claim` found.
  public enum Claim: Equatable, Sendable {
    /// The lease is ours: run.
    case acquired
    /// Another daemon holds the lease (its owner name): that one is still running.
    case held(String)
    /// Another daemon has already taken this fire: nothing to do.
    case taken
  }

  /// Takes the job's lease, and for a scheduled fire claims the fire too, in
  /// one transaction: of daemons sharing the file, one runs each fire, even
  /// when another wakes only after the first has finished.
  public func claim(_ job: String, owner: String, until expiry: Date, now: Date, fire: Date?) throws -> Claim {
    try write { db in
      if let fire, try isClaimed(db, job, fire) { return .taken }
      let holder = try Row.fetchOne(db, sql: "SELECT owner, expires_at FROM leases WHERE job = ?", arguments: [job])
      if let holder, holder["owner"] as String != owner, (holder["expires_at"] as Date) > now {
        if let fire { try claimFire(db, job, fire, owner: owner) }  // this daemon records the skip; others find it taken
        return .held(holder["owner"])
      }
      try db.execute(
        sql: """
          INSERT INTO leases(job, owner, expires_at) VALUES (?, ?, ?)
          ON CONFLICT(job) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
          """, arguments: [job, owner, expiry])
      if let fire { try claimFire(db, job, fire, owner: owner) }
      return .acquired
    }
  }

  /// How long claims are kept: far longer than any catch-up reaches back.
  static let claimsKept: TimeInterval = 40 * 24 * 3600

  private func isClaimed(_ db: Database, _ job: String, _ fire: Date) throws -> Bool {
    try Bool.fetchOne(
      db, sql: "SELECT EXISTS (SELECT 1 FROM fire_claims WHERE job = ? AND fire = ?)", arguments: [job, fire]) ?? false
  }

  private func claimFire(_ db: Database, _ job: String, _ fire: Date, owner: String) throws {
    try db.execute(
      sql: "INSERT OR IGNORE INTO fire_claims(job, fire, owner) VALUES (?, ?, ?)", arguments: [job, fire, owner])
    try db.execute(
      sql: "DELETE FROM fire_claims WHERE job = ? AND fire < ?", arguments: [job, fire - Self.claimsKept])
  }

  /// Claims a scheduled fire without running it (to record it skipped): false
  /// when a daemon sharing the file has claimed it already, so one fire gets one row.
  public func claimFire(_ job: String, _ fire: Date, owner: String = "") throws -> Bool {
    try write { db in
      if try isClaimed(db, job, fire) { return false }
      try claimFire(db, job, fire, owner: owner)
      return true
    }
  }

  /// Takes (or renews) the job's lease for `owner`; false when another owner holds a live one.
  public func acquireLease(_ job: String, owner: String, until expiry: Date, now: Date) throws -> Bool {
    try claim(job, owner: owner, until: expiry, now: now, fire: nil) == .acquired
  }

  /// Who holds the job's lease now, if anyone.
  public func leaseHolder(_ job: String, now: Date) throws -> String? {
    try queue.read { db in
      try String.fetchOne(
        db, sql: "SELECT owner FROM leases WHERE job = ? AND expires_at > ?", arguments: [job, now])
    }
  }

  public func releaseLease(_ job: String, owner: String) throws {
    try write { db in
      try db.execute(sql: "DELETE FROM leases WHERE job = ? AND owner = ?", arguments: [job, owner])
    }
  }
}
