import AshbyState
import AshbyWebhook
import Foundation

/// Records and deliveries the state's tests make over and over, and a fresh store.
public enum StateSamples {
  /// 2026-03-02 09:00:00 UTC.
  public static let t0 = Date(timeIntervalSince1970: 1_772_442_000)

  /// A fresh store for one test (SQLite, or PostgreSQL when the run asks: `FreshState`).
  public static func store() throws -> StateStore {
    try FreshState.open(
      try FreshState.make(
        sqlite: FileManager.default.temporaryDirectory.appendingPathComponent("h-\(UUID().uuidString)/s.sqlite").path))
  }

  /// A run of `job` by `owner`: scheduled for `fire`, or manual.
  public static func run(_ job: String, owner: String, fire: Date?) -> RunRecord {
    RunRecord(
      job: job, trigger: fire == nil ? .manual : .schedule, scheduledFor: fire, startedAt: fire ?? t0, endedAt: nil,
      status: .running, attempts: 1, writes: 0, error: nil, owner: owner)
  }

  /// A delivery to hook `h` with the id `id`.
  public static func arrival(_ id: String) -> WebhookDelivery {
    WebhookDelivery(hook: "h", webhookActionId: id, action: "applicationSubmit", receivedAt: t0, body: Data("{}".utf8))
  }

  /// The run row a daemon `owner` makes for a delivery it takes.
  public static func hookRun(_ owner: String) -> @Sendable (DeliveryRecord) -> RunRecord {
    { d in
      var r = RunRecord(
        job: d.delivery.hook, trigger: .webhook, scheduledFor: nil, startedAt: t0, endedAt: nil, status: .running,
        attempts: 0, writes: 0, error: nil, owner: owner)
      r.event = d.delivery.summary
      return r
    }
  }
}
