import Foundation
import GRDB

/// One delivery a hook accepted, kept until it has run.
public struct DeliveryRecord: Sendable, Codable, Equatable, FetchableRecord, MutablePersistableRecord {
  public static let databaseTableName = "deliveries"

  public enum Status: String, Sendable, Codable {
    /// Accepted and acknowledged; waiting for a worker (also after a restart).
    case queued
    /// A worker is running it (`owner` says which daemon).
    case running
    /// Its run ended (the run's row says how).
    case ran
  }

  public var id: Int64?
  public var hook: String
  public var actionID: String
  public var action: String
  /// The raw body as Ashby sent it (verified), handed to the script.
  public var body: Data
  public var receivedAt: Date
  public var status: Status
  public var owner: String?
  public var runID: Int64?

  enum CodingKeys: String, CodingKey {
    case id, hook, action, body, status, owner
    case actionID = "action_id"
    case receivedAt = "received_at"
    case runID = "run_id"
  }

  public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

  /// How the history names the event: its type and the start of its id.
  public var summary: String { Self.summary(action: action, actionID: actionID) }
  public static func summary(action: String, actionID: String) -> String { "\(action) \(actionID)" }
}

extension RunHistory {
  /// What `accept` did with a delivery.
  public enum Acceptance: Equatable, Sendable {
    /// Stored, to run (its id).
    case accepted(Int64)
    /// This hook accepted the same `webhookActionId` before (that delivery's id): nothing to run.
    case duplicate(Int64)
    /// `capacity` deliveries are waiting or running: refuse, Ashby delivers again later.
    case full
  }

  /// A verified delivery to store.
  public struct Arrival: Sendable {
    public var hook: String
    public var actionID: String
    public var action: String
    public var body: Data
    public var receivedAt: Date

    public init(hook: String, actionID: String, action: String, body: Data, receivedAt: Date) {
      self.hook = hook
      self.actionID = actionID
      self.action = action
      self.body = body
      self.receivedAt = receivedAt
    }
  }

  /// Stores verified deliveries in one transaction: a redelivery is found, a
  /// full queue refused, and the new ones are on disk before any 2xx goes
  /// out. One transaction for many (`DeliveryIntake` gathers those that
  /// arrive together) is one wait for the disk instead of many.
  public func accept(_ arrivals: [Arrival], capacity: Int) throws -> [Acceptance] {
    try write { db in
      var waiting =
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM deliveries WHERE status IN ('queued', 'running')") ?? 0
      var answers: [Acceptance] = []
      for arrival in arrivals {
        if let id = try Int64.fetchOne(
          db, sql: "SELECT id FROM deliveries WHERE hook = ? AND action_id = ?",
          arguments: [arrival.hook, arrival.actionID])
        {
          answers.append(.duplicate(id))
          continue
        }
        if waiting >= capacity {
          answers.append(.full)
          continue
        }
        var record = DeliveryRecord(
          id: nil, hook: arrival.hook, actionID: arrival.actionID, action: arrival.action, body: arrival.body,
          receivedAt: arrival.receivedAt, status: .queued, owner: nil, runID: nil)
        try record.insert(db)
        waiting += 1
        answers.append(.accepted(record.id ?? 0))
      }
      return answers
    }
  }

  /// Remembers a delivery that runs nothing (a `ping`, an event type the hook
  /// does not want), so a redelivery of it is known too.
  public func remember(hook: String, actionID: String, action: String, receivedAt: Date) throws {
    try write { db in
      var record = DeliveryRecord(
        id: nil, hook: hook, actionID: actionID, action: action, body: Data(), receivedAt: receivedAt, status: .ran,
        owner: nil, runID: nil)
      try record.insert(db, onConflict: .ignore)
    }
  }

  /// Takes the oldest waiting delivery of one of `hooks` for `owner` and
  /// records its run as started (`run` makes the row), in one transaction; nil when none waits.
  public func takeDelivery(
    hooks: Set<String>, owner: String, run: (DeliveryRecord) -> RunRecord
  ) throws -> (DeliveryRecord, RunRecord)? {
    guard !hooks.isEmpty else { return nil }
    return try write { db in
      let marks = Array(repeating: "?", count: hooks.count).joined(separator: ", ")
      guard
        var delivery = try DeliveryRecord.fetchOne(
          db, sql: "SELECT * FROM deliveries WHERE status = 'queued' AND hook IN (\(marks)) ORDER BY id LIMIT 1",
          arguments: StatementArguments(hooks.sorted()))
      else { return nil }
      delivery.status = .running
      delivery.owner = owner
      try delivery.update(db)
      var record = run(delivery)
      try record.insert(db)
      return (delivery, record)
    }
  }

  /// How a delivery's run ended, written in one transaction: its row, the
  /// delivery done (or queued again, when a stop cut the run short), the
  /// change feeds' tokens of an `ok` run, and the hook's history trimmed.
  public func finishDelivery(
    _ delivery: DeliveryRecord, run record: RunRecord, requeue: Bool, syncTokens: [String: String],
    keepRuns: Int?, endedAfter: Date?
  ) throws {
    try write { db in
      try record.update(db)
      if requeue {
        try db.execute(
          sql: "UPDATE deliveries SET status = 'queued', owner = NULL WHERE id = ? AND status = 'running'",
          arguments: [delivery.id])
      } else {
        try db.execute(
          sql: "UPDATE deliveries SET status = 'ran', run_id = ?, body = x'' WHERE id = ?",
          arguments: [record.id, delivery.id])
      }
      if record.status == .ok { try Self.saveSyncTokens(db, syncTokens, state: record.job, now: record.endedAt ?? Date()) }
      try Self.prune(db, record.job, keepingRuns: keepRuns, endedAfter: endedAfter)
    }
  }

  /// Deliveries a daemon took and did not finish, because it died or was
  /// stopped: back in the queue. Ashby had its 2xx, so no one else would send them again.
  public func requeueDeliveries(ownedBy owners: Set<String>) throws -> Int {
    try write { db in
      var changed = 0
      for owner in owners.sorted() {
        try db.execute(
          sql: "UPDATE deliveries SET status = 'queued', owner = NULL WHERE status = 'running' AND owner = ?",
          arguments: [owner])
        changed += db.changesCount
      }
      return changed
    }
  }

  /// The owners of deliveries marked running.
  public func deliveryOwners() throws -> Set<String> {
    try queue.read { db in
      Set(try String.fetchAll(db, sql: "SELECT DISTINCT owner FROM deliveries WHERE status = 'running' AND owner IS NOT NULL"))
    }
  }

  /// Deliveries waiting or running, for `schedule status` and the tests.
  public func pendingDeliveries() throws -> [DeliveryRecord] {
    try queue.read { db in
      try DeliveryRecord.filter(["queued", "running"].contains(Column("status"))).order(Column("id")).fetchAll(db)
    }
  }

  /// Forgets deliveries that ran longer ago than `age` (their runs stay in the history).
  public func pruneDeliveries(before date: Date) throws {
    try write { db in
      try db.execute(sql: "DELETE FROM deliveries WHERE status = 'ran' AND received_at < ?", arguments: [date])
    }
  }
}
