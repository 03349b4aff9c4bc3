import ArgumentParser
import AshbyJSON
import AshbyProcess
import AshbyScripting
import AshbyState
import Foundation

/// `ashby-lua audit`: what runs wrote to Ashby, newest first (docs/audit.md).
package struct AuditCommand: AsyncParsableCommand {
  package init() {}
  package static let configuration = CommandConfiguration(
    commandName: "audit",
    abstract: "Show the writes runs sent to Ashby, newest first (the audit log).",
    discussion:
      "Every write from run, repl, a scheduled job or a hook is recorded before it is sent and completed when Ashby answers; a write whose answer never came (a crash) shows as \"outcome unknown\": it may have been applied. See docs/audit.md."
  )

  @Option(help: ArgumentHelp("Only this run's writes.", valueName: "ID")) var run: String?
  @Option(help: ArgumentHelp("Only this scheduled job's writes.", valueName: "NAME")) var job: String?
  @Option(help: ArgumentHelp("Only this hook's writes.", valueName: "NAME")) var hook: String?
  @Option(
    help: ArgumentHelp(
      "Only writes since TIME: ISO 8601 (2026-03-01, 2026-03-01T09:00:00Z) or an age (30m, 24h, 7d).", valueName: "TIME"))
  var since: String?
  @Option(help: ArgumentHelp("Only writes to this endpoint (application.changeStage).", valueName: "ENDPOINT"))
  var endpoint: String?
  @Option(help: ArgumentHelp("At most this many rows.", valueName: "N")) var limit = 100
  @Flag(help: "Print one JSON array (the fields of docs/audit.md).") var json = false
  @Option(help: ArgumentHelp(AuditJournal.stateHelp, valueName: "STATE")) var state: String?

  package func validate() throws {
    if let since, Self.time(since) == nil {
      throw ValidationError("--since must be a time like 2026-03-01T09:00:00Z or an age like 24h, got \"\(since.prefix(40))\".")
    }
    if !(1...1_000_000).contains(limit) { throw ValidationError("--limit must be from 1 to 1000000.") }
  }

  package func run() async throws {
    let spec = StateLocation.choose(flag: state, file: nil)
    Handover.ifPostgres(spec)
    let rows: [AuditRecord]
    do {
      let store = try StateLocation.store(spec, passwordCommand: nil, postgres: ProgramParts.postgres)
      rows = try store.audit(
        AuditFilter(
          runID: run, job: job, hook: hook, since: since.flatMap { Self.time($0) }, endpoint: endpoint, limit: limit))
    } catch {
      Console.error("ashby-lua: \(StateLocation.Unopened(spec: spec, error: error))")
      throw ExitCode(Exit.usage)
    }
    if json {
      print(String(decoding: JSONValue.array(rows.map(Self.json)).encoded(), as: UTF8.self))
      return
    }
    if rows.isEmpty { print("no writes recorded\(run.map { " for run \($0)" } ?? "")") }
    for row in rows { print(Self.line(row)) }
  }

  /// `--since`: a time, or an age before now.
  static func time(_ text: String, now: Date = Date()) -> Date? {
    if let date = Timestamps.parse(text) { return date }
    let units: [Character: Double] = ["m": 60, "h": 3600, "d": 86400]
    guard let unit = text.last.flatMap({ units[$0] }), let amount = Double(text.dropLast()), amount >= 0,
      amount < 1e6
    else { return nil }
    return now.addingTimeInterval(-amount * unit)
  }

  static func line(_ row: AuditRecord) -> String {
    let outcome = row.outcome == "pending" ? "outcome unknown" : row.outcome == "refused" ? "refused, not sent" : row.outcome
    let who = [row.origin, row.job ?? row.hook].compactMap { $0 }.joined(separator: " ")
    var text =
      "\(Timestamps.format(row.time))  \(outcome.padding(toLength: 17, withPad: " ", startingAt: 0))  \(who) #\(row.runID)  \(row.action.map { "\($0) " } ?? "")\(row.endpoint)"
    if let object = row.objectID { text += " → \(object)" }
    if let script = row.script { text += "  (\(script))" }
    if let error = row.error, row.outcome != "ok" { text += "\n    \(error)" }
    return text
  }

  /// A row as `--json` prints it: the JSON names of docs/audit.md; params and before as JSON, not text.
  static func json(_ row: AuditRecord) -> JSONValue {
    func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
    func decoded(_ value: String?) -> JSONValue {
      value.flatMap { try? JSONValue.decode(Data($0.utf8)) } ?? .null
    }
    return .object([
      "time": .string(Timestamps.format(row.time)), "run_id": .string(row.runID), "origin": .string(row.origin),
      "job": text(row.job), "hook": text(row.hook), "script": text(row.script),
      "script_sha256": text(row.scriptSHA256), "action": text(row.action), "endpoint": .string(row.endpoint),
      "params": decoded(row.params), "outcome": .string(row.outcome), "object_id": text(row.objectID),
      "request_id": text(row.requestID), "before": decoded(row.before), "plan_id": text(row.planID),
      "error": text(row.error),
    ])
  }
}
