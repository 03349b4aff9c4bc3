import Foundation
import GRDB

/// Where `ashby.changes` keeps its place: Ashby's `syncToken` per state (a
/// job's or hook's name, or `run --state NAME`) and endpoint.
extension RunHistory {
  public func syncTokens(state: String) throws -> [String: String] {
    try queue.read { db in
      let rows = try Row.fetchAll(db, sql: "SELECT endpoint, token FROM sync_tokens WHERE state = ?", arguments: [state])
      return Dictionary(rows.map { ($0["endpoint"] as String, $0["token"] as String) }, uniquingKeysWith: { a, _ in a })
    }
  }

  /// Stores the tokens a run ended with; call only for a run that ended `ok`,
  /// so a failed run sees the same changes again.
  public func saveSyncTokens(_ tokens: [String: String], state: String, now: Date = Date()) throws {
    guard !tokens.isEmpty else { return }
    try write { db in try Self.saveSyncTokens(db, tokens, state: state, now: now) }
  }

  static func saveSyncTokens(_ db: Database, _ tokens: [String: String], state: String, now: Date) throws {
    for (endpoint, token) in tokens {
      try db.execute(
        sql: """
          INSERT INTO sync_tokens(state, endpoint, token, updated_at) VALUES (?, ?, ?, ?)
          ON CONFLICT(state, endpoint) DO UPDATE SET token = excluded.token, updated_at = excluded.updated_at
          """, arguments: [state, endpoint, token, now])
    }
  }
}
