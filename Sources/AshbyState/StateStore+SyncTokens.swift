import Foundation

/// Where `ashby.changes` keeps its place: Ashby's `syncToken` per state (a
/// job's or hook's name, or `run --feed NAME`) and endpoint.
extension StateStore {
  public func syncTokens(state: String) throws -> [String: String] {
    try read { db in
      var tokens: [String: String] = [:]
      for row in try db.fetch("SELECT endpoint, token FROM sync_tokens WHERE state = ?", [.text(state)]) {
        if let endpoint = row.string("endpoint"), let token = row.string("token") { tokens[endpoint] = token }
      }
      return tokens
    }
  }

  /// Stores the tokens a run ended with; call only for a run that ended `ok`,
  /// so a failed run sees the same changes again.
  public func saveSyncTokens(_ tokens: [String: String], state: String, now: Date = Date()) throws {
    guard !tokens.isEmpty else { return }
    try write { db in try Self.saveSyncTokens(db, tokens, state: state, now: now) }
  }

  static func saveSyncTokens(_ db: any StateSQL, _ tokens: [String: String], state: String, now: Date) throws {
    for (endpoint, token) in tokens.sorted(by: { $0.key < $1.key }) {
      try db.execute(
        """
        INSERT INTO sync_tokens(state, endpoint, token, updated_at) VALUES (?, ?, ?, ?)
        ON CONFLICT(state, endpoint) DO UPDATE SET token = excluded.token, updated_at = excluded.updated_at
        """, values(state, endpoint, token, now))
    }
  }
}
