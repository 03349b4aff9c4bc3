import Foundation

/// `schedule migrate-state`: everything one store holds, into another (SQLite
/// to PostgreSQL, or back), in one transaction on the target.
extension StateStore {
  /// What `copy` moved.
  public struct Copied: Sendable, Equatable {
    public var runs = 0
    public var fires = 0
    public var claims = 0
    public var deliveries = 0
    public var syncTokens = 0
    public var audit = 0
    public var plans = 0
  }

  public struct CopyRefused: Error, CustomStringConvertible {
    public var description: String
  }

  /// Copies runs (new ids, in their order), each job's last fire, the fire
  /// claims, deliveries (their run ids mapped), sync tokens, the audit log and the plans into `target`,
  /// all or nothing. Refused while a daemon holds a lease or a run is still
  /// `running` here (stop the daemons first), and when `target` has runs already.
  public func copy(to target: StateStore, now: Date = Date()) throws -> Copied {
    let audit = try read { db in try db.fetch("\(AuditRecord.selectAll) ORDER BY id", []).compactMap(AuditRecord.init(row:)) }
    let plans = try allPlans()
    let (runs, fires, claims, deliveries, tokens) = try read { db in
      if let busy = try db.one(
        "SELECT owner FROM leases WHERE expires_at > ? UNION SELECT owner FROM runs WHERE status = 'running'",
        [.date(now)])?.string("owner")
      {
        throw CopyRefused(
          description: "a daemon (\(busy)) holds a lease or runs a job in \(location): stop every daemon first")
      }
      let runs = try db.fetch("\(RunRecord.selectAll) ORDER BY id", []).compactMap(RunRecord.init(row:))
      let fires = try db.fetch("SELECT job, last_fire FROM fires", [])
        .compactMap { row in row.string("job").flatMap { job in row.date("last_fire").map { (job, $0) } } }
      let claims = try db.fetch("SELECT job, fire, owner FROM fire_claims", []).compactMap { row -> [StateValue]? in
        guard let job = row.string("job"), let fire = row.date("fire") else { return nil }
        return values(job, fire, row.string("owner") ?? "")
      }
      let deliveries = try db.fetch("\(DeliveryRecord.selectAll) ORDER BY id", []).compactMap(DeliveryRecord.init(row:))
      let tokens = try db.fetch("SELECT state, endpoint, token, updated_at FROM sync_tokens", []).compactMap {
        row -> [StateValue]? in
        guard let state = row.string("state"), let endpoint = row.string("endpoint"), let token = row.string("token")
        else { return nil }
        return values(state, endpoint, token, row.date("updated_at") ?? now)
      }
      return (runs, fires, claims, deliveries, tokens)
    }
    return try target.write { db in
      if let count = try db.one("SELECT COUNT(*) AS n FROM runs", [])?.int("n"), count > 0 {
        throw CopyRefused(description: "\(target.location) has \(count) runs already: give an empty state")
      }
      var copied = Copied()
      var ids: [Int64: Int64] = [:]
      for run in runs {
        var fresh = run
        fresh.id = nil
        let inserted = try Self.insert(db, fresh)
        if let old = run.id, let new = inserted.id { ids[old] = new }
        copied.runs += 1
      }
      for (job, fire) in fires {
        try db.execute("INSERT INTO fires(job, last_fire) VALUES (?, ?)", values(job, fire))
        copied.fires += 1
      }
      for claim in claims {
        try db.execute("INSERT INTO fire_claims(job, fire, owner) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", claim)
        copied.claims += 1
      }
      for d in deliveries {
        try db.execute(
          """
          INSERT INTO deliveries(hook, action_id, action, body, received_at, status, owner, run_id, fence, lease_expires_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
          """,
          values(
            d.delivery.hook, d.delivery.webhookActionId, d.delivery.action, d.delivery.body, d.delivery.receivedAt,
            d.status.rawValue, d.owner,
            d.runID.flatMap { ids[$0] }, d.fence, d.leaseExpiresAt))
        copied.deliveries += 1
      }
      for token in tokens {
        try db.execute(
          "INSERT INTO sync_tokens(state, endpoint, token, updated_at) VALUES (?, ?, ?, ?)", token)
        copied.syncTokens += 1
      }
      for var record in audit {
        // A job's or a hook's row names its run by the history's id, which the copy renumbers.
        if record.origin == "job" || record.origin == "hook", let old = Int64(record.runID), let new = ids[old] {
          record.runID = String(new)
        }
        let marks = Array(repeating: "?", count: record.values.count).joined(separator: ", ")
        try db.execute("INSERT INTO audit(\(AuditRecord.columns)) VALUES (\(marks))", record.values)
        copied.audit += 1
      }
      for plan in plans {
        try db.execute(
          "INSERT INTO plans(id, created_at, body, applied_at, applied_run) VALUES (?, ?, ?, ?, ?)", plan.values)
        copied.plans += 1
      }
      return copied
    }
  }
}
