import Logging
import Synchronization

/// What a logger was given, as lines (`level message metadata`), for a test to read.
public final class CapturedLogs: Sendable {
  /// Everything every client test logs, so a test can scan it for the key.
  public static let shared = CapturedLogs()
  private let lines = Mutex<[String]>([])

  public init() {}

  public func append(_ line: String) { lines.withLock { $0.append(line) } }
  public var all: [String] { lines.withLock { $0 } }

  /// A logger that writes here.
  public func logger(_ label: String = "test") -> Logger {
    Logger(label: label) { _ in CapturingLogHandler(into: self) }
  }
}

/// A log handler that keeps each event in `CapturedLogs`.
public struct CapturingLogHandler: LogHandler {
  public var metadata: Logger.Metadata = [:]
  public var logLevel: Logger.Level = .trace
  let logs: CapturedLogs

  public init(into logs: CapturedLogs = .shared) { self.logs = logs }

  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  public func log(event: LogEvent) {
    let extra = (event.metadata ?? [:]).merging(metadata) { a, _ in a }
    logs.append(extra.isEmpty ? "\(event.level) \(event.message)" : "\(event.level) \(event.message) \(extra)")
  }
}
