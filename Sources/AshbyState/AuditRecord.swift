import Foundation

/// One write in the audit log (docs/audit.md): what a run sent to Ashby, from where, and how it ended.
/// The row is stored `pending` before the write is sent; a row still `pending` after its run is over
/// is a write whose outcome nobody learned (a crash, `kill -9`): it may have landed.
public struct AuditRecord: Sendable, Equatable {
  public var id: Int64?
  public var time: Date
  public var runID: String
  /// `run`, `repl`, `job`, `hook`, `apply`, `mcp`.
  public var origin: String
  public var job: String?
  public var hook: String?
  public var script: String?
  public var scriptSHA256: String?
  public var action: String?
  public var endpoint: String
  /// The parameters as sent, as JSON text.
  public var params: String
  /// `pending`, `ok`, `failed`, `ambiguous`.
  public var outcome: String
  public var objectID: String?
  public var requestID: String?
  /// The before-image, as JSON text.
  public var before: String?
  public var planID: String?
  public var error: String?
  public var endedAt: Date?

  public init(
    time: Date, runID: String, origin: String, job: String? = nil, hook: String? = nil, script: String? = nil,
    scriptSHA256: String? = nil, action: String? = nil, endpoint: String, params: String, outcome: String = "pending",
    before: String? = nil, planID: String? = nil
  ) {
    self.time = time
    self.runID = runID
    self.origin = origin
    self.job = job
    self.hook = hook
    self.script = script
    self.scriptSHA256 = scriptSHA256
    self.action = action
    self.endpoint = endpoint
    self.params = params
    self.outcome = outcome
    self.before = before
    self.planID = planID
  }

  static let columns =
    "time, run_id, origin, job, hook, script, script_sha256, action, endpoint, params, outcome, object_id, request_id, before, plan_id, error, ended_at"
  static let selectAll = "SELECT id, \(columns) FROM audit"

  var values: [StateValue] {
    AshbyState.values(
      time, runID, origin, job, hook, script, scriptSHA256, action, endpoint, params, outcome, objectID, requestID,
      before, planID, error, endedAt)
  }

  init?(row: any StateRow) {
    guard let time = row.date("time"), let runID = row.string("run_id"), let origin = row.string("origin"),
      let endpoint = row.string("endpoint"), let params = row.string("params"), let outcome = row.string("outcome")
    else { return nil }
    self.init(time: time, runID: runID, origin: origin, endpoint: endpoint, params: params, outcome: outcome)
    id = row.int("id")
    job = row.string("job")
    hook = row.string("hook")
    script = row.string("script")
    scriptSHA256 = row.string("script_sha256")
    action = row.string("action")
    objectID = row.string("object_id")
    requestID = row.string("request_id")
    before = row.string("before")
    planID = row.string("plan_id")
    error = row.string("error")
    endedAt = row.date("ended_at")
  }
}

/// Which audit rows `StateStore.audit` returns (`ashby-lua audit`'s flags).
public struct AuditFilter: Sendable {
  public var runID: String?
  public var job: String?
  public var hook: String?
  public var since: Date?
  public var endpoint: String?
  public var limit: Int
  public init(
    runID: String? = nil, job: String? = nil, hook: String? = nil, since: Date? = nil, endpoint: String? = nil,
    limit: Int = 1000
  ) {
    self.runID = runID
    self.job = job
    self.hook = hook
    self.since = since
    self.endpoint = endpoint
    self.limit = limit
  }
}

extension StateStore {
  struct Unstored: Error, CustomStringConvertible {
    var description: String { "the database stored no audit row" }
  }

  /// How long audit rows are kept unless `audit_keep` says otherwise: a year.
  public static let auditKept: TimeInterval = 365 * 24 * 3600

  /// Stores `record` (outcome `pending`) and returns its id; the write may be sent only after this returns.
  public func beginWrite(_ record: AuditRecord) throws -> Int64 {
    try write { db in
      let marks = Array(repeating: "?", count: record.values.count).joined(separator: ", ")
      guard
        let id = try db.one("INSERT INTO audit(\(AuditRecord.columns)) VALUES (\(marks)) RETURNING id", record.values)?
          .int("id")
      else { throw Unstored() }
      return id
    }
  }

  /// Completes a write's row with how it ended.
  public func endWrite(
    _ id: Int64, outcome: String, objectID: String?, requestID: String?, error: String?, at now: Date = Date()
  ) throws {
    try write { db in
      try db.execute(
        "UPDATE audit SET outcome = ?, object_id = ?, request_id = ?, error = ?, ended_at = ? WHERE id = ?",
        values(outcome, objectID, requestID, error, now, id))
    }
  }

  /// The newest rows first.
  public func audit(_ filter: AuditFilter) throws -> [AuditRecord] {
    var conditions: [String] = []
    var arguments: [StateValue] = []
    func match(_ column: String, _ value: (any StateBindable)?, _ op: String = "=") {
      guard let value else { return }
      conditions.append("\(column) \(op) ?")
      arguments.append(value.stateValue)
    }
    match("run_id", filter.runID)
    match("job", filter.job)
    match("hook", filter.hook)
    match("endpoint", filter.endpoint)
    match("time", filter.since, ">=")
    let condition = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
    return try read { db in
      try db.fetch(
        "\(AuditRecord.selectAll)\(condition) ORDER BY id DESC LIMIT ?", arguments + [.int(Int64(filter.limit))]
      ).compactMap(AuditRecord.init(row:))
    }
  }

  /// Forgets audit rows older than `before` (`audit_keep`).
  public func pruneAudit(before: Date) throws {
    try write { db in try db.execute("DELETE FROM audit WHERE time < ? AND outcome != 'pending'", values(before)) }
  }
}
