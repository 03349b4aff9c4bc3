import AshbyState
import Foundation
import PostgresNIO

/// A row as the store reads it; a column it lacks, a NULL or a value of another type reads as nil.
struct PostgresStateRow: StateRow {
  let row: PostgresRandomAccessRow

  func value<T: PostgresDecodable>(_ column: String, _ type: T.Type) -> T? {
    guard row.contains(column) else { return nil }
    let cell = row[column]
    guard cell.bytes != nil else { return nil }
    return try? cell.decode(T.self)
  }

  func int(_ column: String) -> Int64? { value(column, Int64.self) }
  func string(_ column: String) -> String? { value(column, String.self) }
  func date(_ column: String) -> Date? { value(column, Date.self) }
  func data(_ column: String) -> Data? { value(column, ByteBuffer.self).map { Data($0.readableBytesView) } }
  func bool(_ column: String) -> Bool? { value(column, Bool.self) }
}

/// The tables `StateStore` uses, as PostgreSQL types them, and the steps that
/// bring an older schema up to date (`ashby_schema` says how far a database is).
/// The SQLite file's steps are `SQLiteEngine.migrator`; both end at the same
/// tables and columns, which `StateStoreSuite` runs the same tests against.
enum PostgresSchema {
  static let steps: [String] = [
    """
    CREATE TABLE runs (
      id BIGSERIAL PRIMARY KEY, job TEXT NOT NULL, trigger TEXT NOT NULL, scheduled_for TIMESTAMPTZ,
      started_at TIMESTAMPTZ NOT NULL, ended_at TIMESTAMPTZ, status TEXT NOT NULL, exit_code BIGINT,
      attempts BIGINT NOT NULL, writes BIGINT NOT NULL, dry_run BOOLEAN NOT NULL, error TEXT, owner TEXT NOT NULL,
      output TEXT, event TEXT, fence BIGINT NOT NULL DEFAULT 0);
    CREATE INDEX runs_job ON runs(job);
    CREATE INDEX runs_running ON runs(status) WHERE status = 'running';
    CREATE TABLE fires (job TEXT PRIMARY KEY, last_fire TIMESTAMPTZ NOT NULL, claimed_fire TIMESTAMPTZ);
    CREATE TABLE leases (
      job TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at TIMESTAMPTZ NOT NULL, fence BIGINT NOT NULL DEFAULT 0);
    CREATE TABLE fire_claims (job TEXT NOT NULL, fire TIMESTAMPTZ NOT NULL, owner TEXT NOT NULL, PRIMARY KEY (job, fire));
    CREATE TABLE deliveries (
      id BIGSERIAL PRIMARY KEY, hook TEXT NOT NULL, action_id TEXT NOT NULL, action TEXT NOT NULL, body BYTEA NOT NULL,
      received_at TIMESTAMPTZ NOT NULL, status TEXT NOT NULL, owner TEXT, run_id BIGINT,
      fence BIGINT NOT NULL DEFAULT 0, lease_expires_at TIMESTAMPTZ, UNIQUE (hook, action_id));
    CREATE INDEX deliveries_status ON deliveries(status);
    CREATE TABLE sync_tokens (
      state TEXT NOT NULL, endpoint TEXT NOT NULL, token TEXT NOT NULL, updated_at TIMESTAMPTZ NOT NULL,
      PRIMARY KEY (state, endpoint));
    """,
    "CREATE TABLE hook_names (name TEXT PRIMARY KEY, loaded_at TIMESTAMPTZ NOT NULL);",
    """
    CREATE TABLE audit (
      id BIGSERIAL PRIMARY KEY, time TIMESTAMPTZ NOT NULL, run_id TEXT NOT NULL, origin TEXT NOT NULL, job TEXT, hook TEXT,
      script TEXT, script_sha256 TEXT, action TEXT, endpoint TEXT NOT NULL, params TEXT NOT NULL, outcome TEXT NOT NULL,
      object_id TEXT, request_id TEXT, before TEXT, plan_id TEXT, error TEXT, ended_at TIMESTAMPTZ);
    CREATE INDEX audit_time ON audit(time);
    CREATE INDEX audit_run ON audit(run_id);
    """,
    """
    ALTER TABLE audit ADD COLUMN plan_step BIGINT;
    CREATE INDEX audit_plan ON audit(plan_id);
    CREATE TABLE plans (
      id TEXT PRIMARY KEY, created_at TIMESTAMPTZ NOT NULL, body TEXT NOT NULL, applied_at TIMESTAMPTZ, applied_run TEXT,
      applying_run TEXT, applying_owner TEXT, applying_until TIMESTAMPTZ);
    """,
  ]

  /// Applies the steps the database has not had, under the write lock (daemons starting together wait for one another).
  static func migrate(_ engine: PostgresEngine) throws {
    try engine.write { db in
      try db.execute("CREATE TABLE IF NOT EXISTS ashby_schema (version BIGINT NOT NULL)", [])
      let done = try db.fetch("SELECT MAX(version) AS version FROM ashby_schema", []).first?.int("version") ?? 0
      guard done <= Int64(steps.count) else {
        throw PostgresEngine.Failure(
          description:
            "the state at \(engine.location) has schema version \(done), newer than this ashby-lua knows (\(steps.count)): upgrade ashby-lua")
      }
      for (index, step) in steps.enumerated() where Int64(index + 1) > done {
        for statement in step.split(separator: ";") where !statement.allSatisfy(\.isWhitespace) {
          try db.execute(String(statement), [])
        }
        try db.execute("INSERT INTO ashby_schema(version) VALUES (?)", [.int(Int64(index + 1))])
      }
    }
  }
}
