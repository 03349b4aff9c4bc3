import Foundation

/// How a scheduled run ended, as the child tells the daemon: its status, the
/// error that ended it and the writes it made (or, under dry run, planned).
/// It travels on a pipe (`ScheduledChild`), never through a file.
public struct RunReport: Codable, Equatable, Sendable {
  public var exitCode: Int32
  /// The error's `kind` (`limit`, `auth`, `validation`, ...): what the history shows.
  public var kind: String?
  /// The limit that ended the run, if one did: what the daemon decides on (`timeout` status).
  public var limit: RunLimit?
  public var error: String?
  public var writes: Int
  public var planned: Int
  /// The sync tokens `ashby.changes` reached (endpoint → token), for the
  /// daemon to keep if the run ends `ok`.
  public var syncTokens: [String: String]?
  /// Requests the run made to Ashby, `"class status"` → count, and the pacer's waits (the daemon's metrics).
  public var requests: [String: Int]?
  public var pacerWaits: Int?

  /// The most a report may say about its error (a script may raise a megabyte).
  public static let maxErrorLength = 4096

  public init(
    exitCode: Int32, kind: String?, limit: RunLimit? = nil, error: String?, writes: Int, planned: Int,
    syncTokens: [String: String]? = nil
  ) {
    self.limit = limit
    self.syncTokens = syncTokens
    self.exitCode = exitCode
    self.kind = kind
    self.error = error.map { $0.count > Self.maxErrorLength ? String($0.prefix(Self.maxErrorLength)) + "..." : $0 }
    self.writes = writes
    self.planned = planned
  }

  enum CodingKeys: String, CodingKey {
    case kind, limit, error, writes, planned
    case exitCode = "exit_code"
    case syncTokens = "sync_tokens"
    case requests
    case pacerWaits = "pacer_waits"
  }

  public var encoded: Data { (try? JSONEncoder().encode(self)) ?? Data() }

  public init?(decoding data: Data) {
    guard let report = try? JSONDecoder().decode(RunReport.self, from: data) else { return nil }
    self = report
  }
}
