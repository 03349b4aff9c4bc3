import AshbyWebhook
import Foundation
import AshbyTestSupport
import Testing

@testable import AshbyScheduler
@testable import AshbyState

/// The state does not grow without bound: a delivery's body goes when its run
/// ends, its id stays for `delivery_retention` (a redelivery is still a
/// duplicate) and then goes, in batches. On both engines (`FreshState`).
@Suite struct RetentionTests {
  /// 1,000 by default; ASHBY_RETENTION_COUNT=10000 for the figures in the notes.
  static let count = ProcessInfo.processInfo.environment["ASHBY_RETENTION_COUNT"].flatMap(Int.init) ?? 1000

  /// The deliveries' share of the state: the SQLite file (and its WAL), or PostgreSQL's table with its TOAST.
  func size(_ store: StateStore, sqlite path: String) throws -> Int {
    if store.location.hasPrefix("postgres") {
      return Int(
        try store.read { db in
          try db.one("SELECT pg_total_relation_size('deliveries') AS n", [])?.int("n") ?? 0
        })
    }
    return [path, path + "-wal"].reduce(0) { total, file in
      total + ((try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0)
    }
  }

  /// Takes and ends every waiting delivery, as the workers would.
  func runAll(_ store: StateStore, now: Date) throws {
    while let (delivery, started) = try store.takeDelivery(hooks: ["h"], owner: "d", now: now, until: now + 60, run: { d in
      RunRecord(
        job: d.delivery.hook, trigger: .webhook, scheduledFor: nil, startedAt: now, endedAt: nil, status: .running, attempts: 0,
        writes: 0, error: nil, owner: "d")
    }) {
      var ended = started
      ended.status = .ok
      ended.endedAt = now
      #expect(try store.finishDelivery(delivery, run: ended, requeue: false, syncTokens: [:], keepRuns: 5, endedAfter: nil))
    }
  }

  @Test func bodiesGoWithTheirRunsAndIdsAfterTheRetention() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("retention-\(UUID().uuidString).sqlite").path
    let store = try FreshState.open(try FreshState.make(sqlite: path))
    let now = Date()
    let retention = 7.0 * 86400
    // Text that does not compress (PostgreSQL would squeeze a repeated byte to nothing).
    var generator = SystemRandomNumberGenerator()
    let body = Data((0..<20 * 1024).map { _ in UInt8.random(in: 0x21...0x7E, using: &generator) })
    // Half received past the retention, half within it.
    let arrivals = (0..<Self.count).map { i in
      WebhookDelivery(
        hook: "h", webhookActionId: "id-\(i)", action: "applicationSubmit",
        receivedAt: i < Self.count / 2 ? now.addingTimeInterval(-retention - 3600) : now, body: body)
    }
    for start in stride(from: 0, to: arrivals.count, by: 500) {
      _ = try store.accept(Array(arrivals[start..<min(start + 500, arrivals.count)]), capacity: Self.count)
    }
    let stored = try size(store, sqlite: path)
    try runAll(store, now: now)
    #expect(try store.endedDeliveryBodies() == 0, "a body outlived its run")
    let ran = try size(store, sqlite: path)
    DeliveryRetention(history: store, retention: retention, log: { _ in }).pruneOnce()
    let pruned = try size(store, sqlite: path)
    let left = try store.read { db in try db.one("SELECT COUNT(*) AS n FROM deliveries", [])?.int("n") ?? -1 }
    #expect(left == Int64(Self.count - Self.count / 2))
    // Inside the retention a redelivery is a duplicate; past it, the id is forgotten.
    let again = try store.accept(
      [arrivals[Self.count - 1], arrivals[0]].map { var a = $0; a.receivedAt = now; return a }, capacity: Self.count)
    #expect(again.count == 2)
    if case .duplicate = again[0] {} else { Issue.record("a redelivery inside the retention was \(again[0])") }
    if case .accepted = again[1] {} else { Issue.record("an id past the retention was kept: \(again[1])") }
    // The space freed is reused: as many deliveries again leave a SQLite file no larger. (PostgreSQL
    // reuses it once its autovacuum has passed, which a test cannot time: its figure is printed.)
    let more = (0..<Self.count / 2).map { i in
      WebhookDelivery(hook: "h", webhookActionId: "more-\(i)", action: "applicationSubmit", receivedAt: now, body: body)
    }
    for start in stride(from: 0, to: more.count, by: 500) {
      _ = try store.accept(Array(more[start..<min(start + 500, more.count)]), capacity: Self.count)
    }
    try runAll(store, now: now)
    let reused = try size(store, sqlite: path)
    if !store.location.hasPrefix("postgres") {
      #expect(Double(reused) <= Double(stored) * 1.1, "\(reused) bytes after as many again, \(stored) at first")
    }
    print(
      "retention (\(store.location.hasPrefix("postgres") ? "PostgreSQL table" : "SQLite file"), \(Self.count) deliveries of 20 KB): stored \(stored / 1024) KB, after the runs \(ran / 1024) KB, after pruning \(pruned / 1024) KB, after as many again \(reused / 1024) KB"
    )
  }
}
