import AshbyWebhook
import Foundation

/// What the daemon gives a run besides its arguments, on a descriptor of its
/// own (`ScheduledChild`): the state `ashby.changes` keeps its place under,
/// the tokens it had reached, and for a hook the delivery.
public struct RunInput: Codable, Sendable, Equatable {
  /// The job's or the hook's name.
  public var state: String?
  /// Endpoint → the sync token of the last run that ended `ok`.
  public var syncTokens: [String: String]
  /// For a hook's run: the delivery.
  public var event: WebhookDelivery?
  /// How the run goes: the job's keys over the daemon's options (instead of flags).
  public var settings: RunSettings?
  /// The key the run calls Ashby with: the daemon's, handed over here and never
  /// in the run's environment, where `/proc/<pid>/environ` would show it.
  public var apiKey: String?
  /// The notify targets of the schedule file, by name: their URLs, resolved by the daemon (secrets,
  /// as the key: never in the run's environment).
  public var notifyURLs: [String: String]?
  /// Where the run records its writes (the audit log): the daemon's state, and the run's row in it.
  public var audit: AuditTarget?

  /// The audit log's place for a scheduled run: the state the daemon keeps (a SQLite file, or a PostgreSQL
  /// URL without its password, with the daemon's password on this descriptor, as the key is), and which row.
  public struct AuditTarget: Codable, Sendable, Equatable {
    /// `job` or `hook`.
    public var origin: String
    public var name: String
    /// The run's id in the history.
    public var runID: Int64?
    public var state: String?
    public var passwordCommand: String?
    public var password: String?
    public init(origin: String, name: String, runID: Int64?) {
      self.origin = origin
      self.name = name
      self.runID = runID
    }
  }

  public init(state: String? = nil, syncTokens: [String: String] = [:], event: WebhookDelivery? = nil, apiKey: String? = nil) {
    self.apiKey = apiKey
    self.state = state
    self.syncTokens = syncTokens
    self.event = event
  }

  /// The most a run's input may be: an event's body is capped well below.
  package static let maxBytes = 8 << 20

  package struct Unreadable: Error, CustomStringConvertible {
    package var description: String
  }

  public var encoded: Data {
    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .iso8601
    return (try? encoder.encode(self)) ?? Data()
  }

  package init(readingFrom fd: Int32) throws {
    defer { close(fd) }
    var data = Data()
    var buffer = [UInt8](repeating: 0, count: 65536)
    while data.count <= Self.maxBytes {
      let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { break }
      data.append(contentsOf: buffer.prefix(n))
    }
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    do {
      self = try decoder.decode(RunInput.self, from: data)
    } catch {
      throw Unreadable(description: "the daemon's input for this run is unreadable: \(error)")
    }
  }
}
