import AshbyWebhook
import Foundation

/// One delivery a hook accepted, kept until it has run: the delivery, and
/// where it is in the queue.
public struct DeliveryRecord: Sendable, Equatable {

  public enum Status: String, Sendable, Codable {
    /// Accepted and acknowledged; waiting for a worker (also after a restart).
    case queued
    /// A worker is running it (`owner` says which daemon, under a lease until `leaseExpiresAt`).
    case running
    /// Its run ended (the run's row says how).
    case ran
  }

  public var id: Int64?
  /// The delivery as it was accepted; its body goes once its run ended (retention).
  public var delivery: WebhookDelivery
  public var status: Status
  public var owner: String?
  public var runID: Int64?
  /// Grows each time a daemon takes the delivery: its end is recorded only under the number it was taken with.
  public var fence: Int64 = 0
  /// When a running delivery's lease ends unless renewed: then any daemon may run it again.
  public var leaseExpiresAt: Date?
}

extension DeliveryRecord {
  static let selectAll =
    "SELECT id, hook, action_id, action, body, received_at, status, owner, run_id, fence, lease_expires_at FROM deliveries"

  init?(row: any StateRow) {
    guard let hook = row.string("hook"), let actionID = row.string("action_id"), let action = row.string("action"),
      let receivedAt = row.date("received_at"), let status = row.string("status").flatMap(Status.init(rawValue:))
    else { return nil }
    self.init(
      id: row.int("id"),
      delivery: WebhookDelivery(
        hook: hook, webhookActionId: actionID, action: action, receivedAt: receivedAt, body: row.data("body") ?? Data()),
      status: status, owner: row.string("owner"), runID: row.int("run_id"),
      fence: row.int("fence") ?? 0, leaseExpiresAt: row.date("lease_expires_at"))
  }
}

extension StateStore {
  /// What `accept` did with a delivery.
  public enum Acceptance: Equatable, Sendable {
    /// Stored, to run (its id).
    case accepted(Int64)
    /// This hook accepted the same `webhookActionId` before (that delivery's id): nothing to run.
    case duplicate(Int64)
    /// `capacity` deliveries are waiting or running: refuse, Ashby delivers again later.
    case full
  }

  /// Stores verified deliveries in one transaction: a redelivery is found, a
  /// full queue refused, and the new ones are stored before any 2xx goes
  /// out. One transaction for many (`DeliveryIntake` gathers those that
  /// arrive together) is one wait for the disk instead of many, and a few
  /// statements whatever their number (each is a round trip to PostgreSQL).
  public func accept(_ arrivals: [WebhookDelivery], capacity: Int) throws -> [Acceptance] {
    guard !arrivals.isEmpty else { return [] }
    return try write { db in
      let waiting =
        try db.one("SELECT COUNT(*) AS n FROM deliveries WHERE status IN ('queued', 'running')", [])?.int("n") ?? 0
      struct Key: Hashable {
        var hook: String
        var actionID: String
      }
      // Accepted before: by this hook, in an earlier batch.
      var known: [Key: Int64] = [:]
      for (hook, group) in Dictionary(grouping: arrivals, by: \.hook) {
        let ids = Array(Set(group.map(\.webhookActionId))).sorted()
        let marks = Array(repeating: "?", count: ids.count).joined(separator: ", ")
        for row in try db.fetch(
          "SELECT id, action_id FROM deliveries WHERE hook = ? AND action_id IN (\(marks))",
          [.text(hook)] + ids.map(StateValue.text))
        {
          if let id = row.int("id"), let actionID = row.string("action_id") { known[Key(hook: hook, actionID: actionID)] = id }
        }
      }
      // New ones, in order, while there is room (the same one twice in a batch is stored once).
      var fresh: [WebhookDelivery] = []
      var seen = Set<Key>()
      for arrival in arrivals where known[Key(hook: arrival.hook, actionID: arrival.webhookActionId)] == nil {
        if fresh.count + Int(clamping: waiting) >= capacity { break }
        if seen.insert(Key(hook: arrival.hook, actionID: arrival.webhookActionId)).inserted { fresh.append(arrival) }
      }
      if !fresh.isEmpty {
        let rows = Array(repeating: "(?, ?, ?, ?, ?, 'queued')", count: fresh.count).joined(separator: ", ")
        let inserted = try db.fetch(
          """
          INSERT INTO deliveries(hook, action_id, action, body, received_at, status) VALUES \(rows)
          ON CONFLICT DO NOTHING RETURNING id, hook, action_id
          """, fresh.flatMap { values($0.hook, $0.webhookActionId, $0.action, $0.body, $0.receivedAt) })
        for row in inserted {
          if let id = row.int("id"), let hook = row.string("hook"), let actionID = row.string("action_id") {
            known[Key(hook: hook, actionID: actionID)] = id
          }
        }
      }
      let stored = Set(fresh.map { Key(hook: $0.hook, actionID: $0.webhookActionId) })
      var answered = Set<Key>()
      return arrivals.map { arrival in
        let key = Key(hook: arrival.hook, actionID: arrival.webhookActionId)
        guard let id = known[key] else { return .full }
        // The first of a batch's copies is the one stored now; every other copy is a redelivery.
        return stored.contains(key) && answered.insert(key).inserted ? .accepted(id) : .duplicate(id)
      }
    }
  }

  /// Remembers a delivery that runs nothing (a `ping`, an event type the hook
  /// does not want), without its body, so a redelivery of it is known too.
  public func remember(_ d: WebhookDelivery) throws {
    try write { db in
      _ = try db.one(
        """
        INSERT INTO deliveries(hook, action_id, action, body, received_at, status) VALUES (?, ?, ?, ?, ?, 'ran')
        ON CONFLICT DO NOTHING RETURNING id
        """, values(d.hook, d.webhookActionId, d.action, Data(), d.receivedAt))
    }
  }

  /// Takes the oldest delivery of one of `hooks` that waits, or whose
  /// daemon's lease on it ran out (it died, or stalled: it is fenced off),
  /// for `owner` until `expiry`, and records its run as started (`run` makes
  /// the row), in one transaction; nil when there is none.
  public func takeDelivery(
    hooks: Set<String>, owner: String, now: Date = Date(), until expiry: Date = .distantFuture,
    run: (DeliveryRecord) -> RunRecord
  ) throws -> (DeliveryRecord, RunRecord)? {
    guard !hooks.isEmpty else { return nil }
    return try write { db in
      let marks = Array(repeating: "?", count: hooks.count).joined(separator: ", ")
      guard
        var delivery = try db.one(
          """
          \(DeliveryRecord.selectAll) WHERE hook IN (\(marks))
            AND (status = 'queued' OR (status = 'running' AND lease_expires_at < ?)) ORDER BY id LIMIT 1
          """, hooks.sorted().map(StateValue.text) + [.date(now)]
        ).flatMap(DeliveryRecord.init(row:))
      else { return nil }
      if delivery.status == .running, let stale = delivery.runID {
        try db.execute(
          """
          UPDATE runs SET status = 'interrupted', ended_at = ?,
            error = 'its daemon stopped renewing the delivery''s lease and another ran it again; writes it made before are not counted'
          WHERE id = ? AND status = 'running'
          """, values(now, stale))
      }
      var record = run(delivery)
      record.fence = delivery.fence + 1
      record = try Self.insert(db, record)
      delivery.status = .running
      delivery.owner = owner
      delivery.fence += 1
      delivery.leaseExpiresAt = expiry
      delivery.runID = record.id
      try db.execute(
        "UPDATE deliveries SET status = 'running', owner = ?, fence = ?, lease_expires_at = ?, run_id = ? WHERE id = ?",
        values(owner, delivery.fence, expiry, record.id, delivery.id))
      return (delivery, record)
    }
  }

  /// Renews the lease on a delivery this daemon runs; false when another daemon has taken it over.
  public func renewDelivery(_ delivery: DeliveryRecord, until expiry: Date) throws -> Bool {
    try write { db in
      try db.execute(
        "UPDATE deliveries SET lease_expires_at = ? WHERE id = ? AND owner = ? AND fence = ? AND status = 'running'",
        values(expiry, delivery.id, delivery.owner, delivery.fence)) > 0
    }
  }

  /// How a delivery's run ended, written in one transaction: its row, the
  /// delivery done (or queued again, when a stop cut the run short), the
  /// change feeds' tokens of an `ok` run, and the hook's history trimmed;
  /// only while the delivery is still this run's (its fence): false, and
  /// nothing written, when another daemon took it over.
  @discardableResult
  public func finishDelivery(
    _ delivery: DeliveryRecord, run record: RunRecord, requeue: Bool, syncTokens: [String: String],
    keepRuns: Int?, endedAfter: Date?
  ) throws -> Bool {
    try write { db in
      let ours = values(delivery.id, delivery.owner, delivery.fence)
      guard
        try db.one(
          "SELECT 1 AS ours FROM deliveries WHERE id = ? AND owner = ? AND fence = ? AND status = 'running'", ours)
          != nil
      else { return false }
      if requeue && record.attempts == 0 {
        // Taken but never started (a stop began, or a reload dropped the
        // hook, in between): the delivery waits in the queue, no row says
        // a run was cut short.
        try db.execute("DELETE FROM runs WHERE id = ?", values(record.id))
      } else {
        _ = try Self.update(db, record)
      }
      if requeue {
        try db.execute(
          "UPDATE deliveries SET status = 'queued', owner = NULL, lease_expires_at = NULL WHERE id = ? AND owner = ? AND fence = ?",
          ours)
      } else {
        try db.execute(
          "UPDATE deliveries SET status = 'ran', run_id = ?, body = ?, lease_expires_at = NULL WHERE id = ?",
          values(record.id, Data(), delivery.id))
      }
      if record.status == .ok { try Self.saveSyncTokens(db, syncTokens, state: record.job, now: record.endedAt ?? Date()) }
      try Self.prune(db, record.job, keepingRuns: keepRuns, endedAfter: endedAfter)
      return true
    }
  }

  /// Deliveries a daemon took and did not finish, because it died or was
  /// stopped: back in the queue. Ashby had its 2xx, so no one else would send them again.
  public func requeueDeliveries(ownedBy owners: Set<String>) throws -> Int {
    try write { db in
      var changed = 0
      for owner in owners.sorted() {
        changed += try db.execute(
          "UPDATE deliveries SET status = 'queued', owner = NULL WHERE status = 'running' AND owner = ?", [.text(owner)])
      }
      return changed
    }
  }

  /// The owners of deliveries marked running.
  public func deliveryOwners() throws -> Set<String> {
    try read { db in
      Set(
        try db.fetch("SELECT DISTINCT owner FROM deliveries WHERE status = 'running' AND owner IS NOT NULL", [])
          .compactMap { $0.string("owner") })
    }
  }

  /// Deliveries waiting or running, for `schedule status` and the tests.
  public func pendingDeliveries() throws -> [DeliveryRecord] {
    try read { db in
      try db.fetch("\(DeliveryRecord.selectAll) WHERE status IN ('queued', 'running') ORDER BY id", [])
        .compactMap(DeliveryRecord.init(row:))
    }
  }

  /// Forgets deliveries received before `date` whose run has ended (their
  /// runs stay in the history, as `keep` says), `batch` rows per
  /// transaction, so the intake never waits long behind it.
  /// - Returns: how many went.
  @discardableResult
  public func pruneDeliveries(before date: Date, batch: Int = 1000) throws -> Int {
    var removed = 0
    while true {
      let n = try write { db in
        try db.execute(
          """
          DELETE FROM deliveries WHERE id IN (
            SELECT id FROM deliveries WHERE status = 'ran' AND received_at < ? ORDER BY id LIMIT ?)
          """, values(date, batch))
      }
      removed += n
      if n < batch { return removed }
    }
  }

  /// Bodies still kept by deliveries whose run has ended (none should be: a run's end clears its body).
  public func endedDeliveryBodies() throws -> Int {
    Int(
      try read { db in
        try db.one("SELECT COUNT(*) AS n FROM deliveries WHERE status = 'ran' AND LENGTH(body) > 0", [])?.int("n") ?? 0
      })
  }
}
