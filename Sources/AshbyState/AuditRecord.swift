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
  /// Which of the plan's steps (from 1), when `apply` made it.
  public var planStep: Int?
  public var error: String?
  public var endedAt: Date?

  public init(
    time: Date, runID: String, origin: String, job: String? = nil, hook: String? = nil, script: String? = nil,
    scriptSHA256: String? = nil, action: String? = nil, endpoint: String, params: String, outcome: String = "pending",
    before: String? = nil, planID: String? = nil, planStep: Int? = nil
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
    self.planStep = planStep
  }

  static let columns =
    "time, run_id, origin, job, hook, script, script_sha256, action, endpoint, params, outcome, object_id, request_id, before, plan_id, plan_step, error, ended_at"
  static let selectAll = "SELECT id, \(columns) FROM audit"

  var values: [StateValue] {
    AshbyState.values(
      time, runID, origin, job, hook, script, scriptSHA256, action, endpoint, params, outcome, objectID, requestID,
      before, planID, planStep.map(Int64.init), error, endedAt)
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
    planStep = row.int("plan_step").map(Int.init)
    error = row.string("error")
    endedAt = row.date("ended_at")
  }
}

/// How a write ended, for its row.
public struct AuditEnding: Sendable, Equatable {
  public var id: Int64
  /// `ok`, `failed`, `ambiguous`.
  public var outcome: String
  public var objectID: String?
  public var requestID: String?
  public var error: String?
  public var time: Date
  public init(
    id: Int64, outcome: String, objectID: String? = nil, requestID: String? = nil, error: String? = nil,
    time: Date = Date()
  ) {
    (self.id, self.outcome, self.objectID, self.requestID, self.error, self.time) =
      (id, outcome, objectID, requestID, error, time)
  }
}

/// Which audit rows `StateStore.audit` returns (`ashby-lua audit`'s flags).
public struct AuditFilter: Sendable {
  public var runID: String?
  public var job: String?
  public var hook: String?
  public var since: Date?
  public var endpoint: String?
  public var planID: String?
  public var limit: Int
  public init(
    runID: String? = nil, job: String? = nil, hook: String? = nil, since: Date? = nil, endpoint: String? = nil,
    planID: String? = nil, limit: Int = 1000
  ) {
    self.planID = planID
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
    guard let id = try recordWrites(begun: [record], ended: []).first else { throw Unstored() }
    return id
  }

  /// Completes a write's row with how it ended.
  public func endWrite(_ ending: AuditEnding) throws {
    _ = try recordWrites(begun: [], ended: [ending])
  }

  /// Stores writes about to be sent (`pending`) and completes writes that ended, in one transaction:
  /// sixteen writes in flight cost one wait for the disk, not sixteen in a row. Returns the new rows' ids
  /// in `begun`'s order.
  public func recordWrites(begun: [AuditRecord], ended: [AuditEnding]) throws -> [Int64] {
    try write { db in
      for ending in ended {
        try db.execute(
          "UPDATE audit SET outcome = ?, object_id = ?, request_id = ?, error = ?, ended_at = ? WHERE id = ?",
          values(ending.outcome, ending.objectID, ending.requestID, ending.error, ending.time, ending.id))
      }
      return try begun.map { record in
        let marks = Array(repeating: "?", count: record.values.count).joined(separator: ", ")
        guard
          let id = try db.one("INSERT INTO audit(\(AuditRecord.columns)) VALUES (\(marks)) RETURNING id", record.values)?
            .int("id")
        else { throw Unstored() }
        return id
      }
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
    match("plan_id", filter.planID)
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
