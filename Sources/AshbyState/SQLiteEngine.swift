import Foundation
import GRDB

/// The state in one SQLite file (the default): no set-up, and daemons of one
/// host may share it.
public struct SQLiteEngine: StateEngine {
  let queue: DatabaseQueue
  public let location: String

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
    location = path
    // Two processes opening a new (or older) file at once both migrate it, and GRDB checks what is
    // applied outside the migration's transaction: the one that loses finds the tables made when it
    // tries again (`ashby-lua run`s started together, each recording its first write).
    for attempt in 1... {
      do {
        try Self.migrator.migrate(queue)
        break
      } catch where attempt < 5 {
        Thread.sleep(forTimeInterval: 0.05 * Double(attempt))
      }
    }
  }

  public func write<T>(_ body: (any StateSQL) throws -> T) throws -> T {
    try queue.writeWithoutTransaction { db in
      var result: T?
      try db.inTransaction(.immediate) {
        result = try body(Statements(db: db))
        return .commit
      }
      guard let result else { throw DatabaseError(message: "the transaction did not run") }
      return result
    }
  }

  public func read<T>(_ body: (any StateSQL) throws -> T) throws -> T {
    try queue.read { db in try body(Statements(db: db)) }
  }

  /// Empties the WAL. Pages freed in the file (bodies, pruned rows) are reused
  /// by the next writes rather than given back: incremental auto-vacuum cost
  /// the intake 40% of its throughput, and a full VACUUM would hold it.
  public func reclaimSpace() throws {
    try queue.writeWithoutTransaction { db in
      try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
    }
  }

  /// Statements are compiled once per connection and kept (the same few, thousands of times: the audit
  /// log's rows, the intake's deliveries).
  struct Statements: StateSQL {
    let db: Database

    @discardableResult
    func execute(_ sql: String, _ arguments: [StateValue]) throws -> Int {
      try db.cachedStatement(sql: sql).execute(arguments: StatementArguments(arguments.map(\.databaseValue)))
      return db.changesCount
    }

    func fetch(_ sql: String, _ arguments: [StateValue]) throws -> [any StateRow] {
      try Row.fetchAll(db.cachedStatement(sql: sql), arguments: StatementArguments(arguments.map(\.databaseValue)))
        .map(SQLiteRow.init)
    }
  }

  struct SQLiteRow: StateRow {
    let row: Row
    func int(_ column: String) -> Int64? { row[column] }
    func string(_ column: String) -> String? { row[column] }
    func date(_ column: String) -> Date? { row[column] }
    func data(_ column: String) -> Data? { row[column] }
    func bool(_ column: String) -> Bool? { row[column] }
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
    // Fencing: every lease (a job's, a delivery's) carries a number that grows
    // each time another daemon takes it; a record is written only under the
    // number it was started with. Deliveries get leases of their own, so a
    // daemon on another host can take over one whose daemon died.
    migrator.registerMigration("v5: fencing") { db in
      try db.alter(table: "leases") { t in t.add(column: "fence", .integer).notNull().defaults(to: 0) }
      try db.alter(table: "runs") { t in t.add(column: "fence", .integer).notNull().defaults(to: 0) }
      try db.alter(table: "deliveries") { t in
        t.add(column: "fence", .integer).notNull().defaults(to: 0)
        t.add(column: "lease_expires_at", .datetime)
      }
    }
    // The hook names a daemon loaded, and when: one missing for a moment
    // (a file saved in two steps) answers 503, not a 404 that Ashby never retries.
    migrator.registerMigration("v6: hooks loaded") { db in
      try db.create(table: "hook_names") { t in
        t.column("name", .text).primaryKey()
        t.column("loaded_at", .datetime).notNull()
      }
    }
    // The audit log: every write, recorded before it is sent (outcome `pending`) and completed after.
    migrator.registerMigration("v7: audit") { db in
      try db.create(table: "audit") { t in
        t.autoIncrementedPrimaryKey("id")
        t.column("time", .datetime).notNull().indexed()
        t.column("run_id", .text).notNull().indexed()
        for name in ["origin", "endpoint", "params", "outcome"] { t.column(name, .text).notNull() }
        for name in ["job", "hook", "script", "script_sha256", "action", "object_id", "request_id", "before", "plan_id", "error"] {
          t.column(name, .text)
        }
        t.column("ended_at", .datetime)
      }
    }
    // Plans (`run --plan`), by id, and which of the audit log's rows made which of a plan's steps.
    migrator.registerMigration("v8: plans") { db in
      try db.alter(table: "audit") { t in t.add(column: "plan_step", .integer) }
      try db.create(index: "audit_plan", on: "audit", columns: ["plan_id"])
      try db.create(table: "plans") { t in
        t.primaryKey("id", .text)
        t.column("created_at", .datetime).notNull()
        t.column("body", .text).notNull()
        t.column("applied_at", .datetime)
        t.column("applied_run", .text)
        t.column("applying_run", .text)
        t.column("applying_owner", .text)
        t.column("applying_until", .datetime)
      }
    }
    return migrator
  }
}

extension StateValue {
  var databaseValue: DatabaseValue {
    switch self {
    case .null: .null
    case .int(let v): v.databaseValue
    case .text(let v): v.databaseValue
    case .date(let v): v.databaseValue
    case .blob(let v): v.databaseValue
    case .bool(let v): v.databaseValue
    }
  }
}
