import AshbyJSON
import AshbyKit
import Foundation
import Logging

/// One environment variable, without building `ProcessInfo`'s whole dictionary.
public enum Environment {
  public static func value(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
}

/// Writes to the terminal's streams.
public enum Console {
  public static func error(_ text: String) {
    fflush(nil)  // what the script printed comes first
    FileHandle.standardError.write(Data((text + "\n").utf8))
  }
}

/// What a dry run would have written.
public enum DryRunPlan {
  public static func report(_ writes: [PlannedWrite]) {
    // Counted as a real run counts (endpoint calls that write), so the two agree.
    let calls = writes.endpointCalls
    let breakdown = writes.breakdown.map { "\($0.count) \($0.endpoint)" }.joined(separator: ", ")
    var text = "dry run: \(calls) write\(calls == 1 ? "" : "s") planned, none sent"
    if calls > 0 { text += " (\(breakdown))" }
    for (i, w) in writes.enumerated() {
      let params = w.parameters.sorted { $0.key < $1.key }.map {
        "\($0.key)=\(String(decoding: $0.value.encoded(), as: UTF8.self))"
      }
      let more = w.calls.count > 1 ? " [\(w.calls.joined(separator: " + "))]" : ""
      text += "\n  \(i + 1). \(w.action) \(params.joined(separator: " ")) -> \(w.syntheticID)\(more)"
    }
    Console.error(text)
  }
}

/// Log output: warnings always, one line per Ashby call with --verbose.
public enum Loggers {
  public static func ashby(verbose: Bool) -> Logger {
    var logger = Logger(label: "ashby") { label in StderrLogHandler(label: label) }
    logger.logLevel = verbose ? .debug : .warning
    return logger
  }

  public static var lua: Logger {
    var logger = Logger(label: "lua") { label in StderrLogHandler(label: label) }
    logger.logLevel = .warning
    return logger
  }
}

/// `ashby: job.info 200 12 ms` on stderr; nothing else in the line.
struct StderrLogHandler: LogHandler {
  let label: String
  var metadata: Logger.Metadata = [:]
  var logLevel: Logger.Level = .warning

  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  func log(event: LogEvent) {
    Console.error("\(label): \(event.message)")
  }
}
