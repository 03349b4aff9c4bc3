import Foundation

/// The hook names daemons loaded from their schedule files, and when.
///
/// Ashby never retries a 404 (nor 401, 403, 405, 410): the event is dropped.
/// A hook missing for a moment (a file saved in two steps and reloaded in
/// between, a rename under way) must answer 503 instead, which Ashby retries;
/// only a name no daemon sharing the state loaded lately is a 404.
extension StateStore {
  /// How long a name loaded once still answers 503 while it is absent.
  public static let recentHookWindow: TimeInterval = 86400

  /// Records that a daemon loaded these hooks now (at start and on each reload).
  public func recordLoadedHooks(_ names: [String], at now: Date) throws {
    guard !names.isEmpty else { return }
    try write { db in
      for name in names {
        try db.execute(
          """
          INSERT INTO hook_names(name, loaded_at) VALUES (?, ?)
          ON CONFLICT(name) DO UPDATE SET loaded_at = excluded.loaded_at
          """, values(name, now))
      }
    }
  }

  /// Whether a daemon loaded a hook named `name` within `recentHookWindow` of `now`.
  public func wasLoadedRecently(_ name: String, now: Date) throws -> Bool {
    try read { db in
      try db.one(
        "SELECT 1 AS loaded FROM hook_names WHERE name = ? AND loaded_at > ?",
        values(name, now.addingTimeInterval(-Self.recentHookWindow))) != nil
    }
  }

  /// Deliveries waiting for a hook none of `hooks` is: by hook name, how many.
  public func deliveriesWaiting(outside hooks: Set<String>) throws -> [String: Int] {
    var waiting: [String: Int] = [:]
    for delivery in try pendingDeliveries() where !hooks.contains(delivery.delivery.hook) {
      waiting[delivery.delivery.hook, default: 0] += 1
    }
    return waiting
  }
}
