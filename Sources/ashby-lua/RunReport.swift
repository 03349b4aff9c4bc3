import AshbyKit
import Foundation

/// What `run --report FILE` writes for the scheduler: how the script ended and
/// the writes it made (or, under dry run, planned). The scheduler reads it back.
struct RunReport: Equatable {
  var exitCode: Int32
  var kind: String?
  var error: String?
  var writes: Int
  var planned: Int

  init(exitCode: Int32, kind: String?, error: String?, writes: Int, planned: Int) {
    self.exitCode = exitCode
    self.kind = kind
    self.error = error
    self.writes = writes
    self.planned = planned
  }

  init(end: ScriptSession.End, client: AshbyClient) {
    // A table raised without a `__tostring` still says something: its `message`.
    var message = end.message
    if case .object(let fields) = end.error?.value, let text = fields["message"]?.stringValue,
      message?.hasPrefix("table: ") ?? true
    {
      message = [fields["kind"]?.stringValue, text].compactMap { $0 }.joined(separator: ": ")
    }
    self.init(
      exitCode: end.code, kind: end.error?.kind?.rawValue, error: message, writes: client.writesMade,
      planned: client.plannedWrites.count)
  }

  var json: JSONValue {
    var fields: [String: JSONValue] = [
      "exit_code": .int(Int64(exitCode)), "writes": .int(Int64(writes)), "planned": .int(Int64(planned)),
    ]
    if let kind { fields["kind"] = .string(kind) }
    if let error { fields["error"] = .string(error) }
    return .object(fields)
  }

  init?(json: JSONValue) {
    guard let code = json["exit_code"]?.int else { return nil }
    self.init(
      exitCode: Int32(clamping: code), kind: json["kind"]?.string, error: json["error"]?.string,
      writes: Int(json["writes"]?.int ?? 0), planned: Int(json["planned"]?.int ?? 0))
  }

  func write(to path: String) {
    do {
      try json.encoded().write(to: URL(fileURLWithPath: path))
    } catch {
      Console.error("ashby-lua: cannot write the run report to \(path): \(error.localizedDescription)")
    }
  }

  static func read(from path: String) -> RunReport? {
    guard let data = FileManager.default.contents(atPath: path), let value = try? JSONValue.decode(data) else {
      return nil
    }
    return RunReport(json: value)
  }
}
