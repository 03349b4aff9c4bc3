import Foundation

/// A saved plan (`run --plan`), as the state keeps it: by id, so `apply ID` and the MCP server find it, and
/// so a plan is applied once.
public struct StoredPlan: Sendable, Equatable {
  public var id: String
  public var createdAt: Date
  /// The plan's JSON, as `run --plan` wrote it.
  public var body: String
  public var appliedAt: Date?
  /// The `run_id` of the apply that finished it.
  public var appliedRun: String?

  public init(id: String, createdAt: Date, body: String, appliedAt: Date? = nil, appliedRun: String? = nil) {
    (self.id, self.createdAt, self.body, self.appliedAt, self.appliedRun) = (id, createdAt, body, appliedAt, appliedRun)
  }

  init?(row: any StateRow) {
    guard let id = row.string("id"), let createdAt = row.date("created_at"), let body = row.string("body") else {
      return nil
    }
    self.init(
      id: id, createdAt: createdAt, body: body, appliedAt: row.date("applied_at"), appliedRun: row.string("applied_run"))
  }

  static let selectAll = "SELECT id, created_at, body, applied_at, applied_run FROM plans"
  var values: [StateValue] { AshbyState.values(id, createdAt, body, appliedAt, appliedRun) }
}

extension StateStore {
  /// Keeps `plan`; a plan of that id already kept stays as it was (the same plan read again from its file).
  public func savePlan(_ plan: StoredPlan) throws {
    try write { db in
      guard try db.one("SELECT id FROM plans WHERE id = ?", values(plan.id)) == nil else { return }
      try db.execute(
        "INSERT INTO plans(id, created_at, body, applied_at, applied_run) VALUES (?, ?, ?, ?, ?)", plan.values)
    }
  }

  public func plan(_ id: String) throws -> StoredPlan? {
    try read { db in try db.one("\(StoredPlan.selectAll) WHERE id = ?", values(id)).flatMap(StoredPlan.init(row:)) }
  }

  /// Marks the plan applied by `run`, unless it was already: returns the plan as it was before.
  @discardableResult
  public func markApplied(_ id: String, run: String, at now: Date = Date()) throws -> StoredPlan? {
    try write { db in
      let before = try db.one("\(StoredPlan.selectAll) WHERE id = ?", values(id)).flatMap(StoredPlan.init(row:))
      try db.execute(
        "UPDATE plans SET applied_at = ?, applied_run = ? WHERE id = ? AND applied_at IS NULL", values(now, run, id))
      return before
    }
  }

  /// Who is applying a plan: its run, its process (`host:pid`), and until when the claim holds unless renewed.
  public struct PlanClaim: Sendable, Equatable {
    public var run: String
    public var owner: String
    public var until: Date
  }

  /// Claims the plan for `run` until `until`, so that two `apply`s of one plan never both send its writes.
  /// Returns the run that holds it instead, unless that claim ran out or `stale` says its process is gone
  /// (a `kill -9`ed apply on this host is resumed at once, not after its claim runs out).
  public func claimPlan(
    _ id: String, run: String, owner: String, until: Date, now: Date = Date(), stale: (String) -> Bool
  ) throws -> PlanClaim? {
    try write { db in
      let set = "UPDATE plans SET applying_run = ?, applying_owner = ?, applying_until = ? WHERE id = ?"
      if try db.execute(
        set + " AND (applying_run IS NULL OR applying_run = ? OR applying_until < ?)", values(run, owner, until, id, run, now))
        == 1
      {
        return nil
      }
      guard let row = try db.one("SELECT applying_run, applying_owner, applying_until FROM plans WHERE id = ?", values(id)),
        let holder = row.string("applying_run"), let holderOwner = row.string("applying_owner"),
        let holderUntil = row.date("applying_until")
      else { return nil }  // no such plan: nothing to hold
      guard stale(holderOwner),
        try db.execute(set + " AND applying_run = ?", values(run, owner, until, id, holder)) == 1
      else { return PlanClaim(run: holder, owner: holderOwner, until: holderUntil) }
      return nil
    }
  }

  /// Gives up `run`'s claim on the plan.
  public func releasePlan(_ id: String, run: String) throws {
    try write { db in
      try db.execute(
        "UPDATE plans SET applying_run = NULL, applying_owner = NULL, applying_until = NULL WHERE id = ? AND applying_run = ?",
        values(id, run))
    }
  }

  /// Every plan, oldest first (`migrate-state`).
  func allPlans() throws -> [StoredPlan] {
    try read { db in try db.fetch("\(StoredPlan.selectAll) ORDER BY created_at", []).compactMap(StoredPlan.init(row:)) }
  }
}
