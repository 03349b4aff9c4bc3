import AshbyJSON
import AshbyKit
import Foundation

/// A plan for a person (`plan show`): a line per write, what it changes on which object, before → after,
/// then the count of each action.
public enum PlanText {
  public static func describe(_ plan: Plan) -> String {
    var lines: [String] = []
    var header = "plan \(plan.id), made \(Timestamps.format(plan.createdAt)) against \(plan.baseURL)"
    if let title = plan.keyTitle { header += " (key \"\(title)\")" }
    lines.append(header)
    if let script = plan.script {
      let args = script.args.isEmpty ? "" : " " + script.args.joined(separator: " ")
      lines.append("script: \(script.path)\(args)" + (script.sha256.map { " (sha256 \($0.prefix(12))…)" } ?? ""))
    }
    if let undoes = plan.undoes { lines.append("undoes: \(undoes)") }
    let count = plan.steps.count
    lines.append("\(count) write\(count == 1 ? "" : "s"):")
    for (index, step) in plan.steps.enumerated() {
      lines.append("  \(index + 1). " + line(step))
    }
    if !plan.cannotUndo.isEmpty {
      lines.append("cannot be undone (\(plan.cannotUndo.count)):")
      for item in plan.cannotUndo {
        lines.append("  - \(item.endpoint)\(item.objectID.map { " \($0)" } ?? ""): \(item.reason)")
      }
    }
    var counts: [String: Int] = [:]
    for step in plan.steps { counts[step.action, default: 0] += 1 }
    if !counts.isEmpty {
      let summary = counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\($0.value) \($0.key)" }
      lines.append("by action: " + summary.joined(separator: ", "))
    }
    return lines.joined(separator: "\n")
  }

  /// `application.changeStage on application app-1: stage "Screen" → stage_id stg-4`.
  static func line(_ step: PlanStep) -> String {
    var text = step.endpoint
    if step.action != step.endpoint { text += " (\(step.action))" }
    if let target = step.target { text += " on \(target.type) \(target.id)" }
    if let after = step.after ?? WriteTargets.after(step.endpoint, step.params), let before = step.before {
      text += ": " + fields(before) + " → " + fields(after)
    } else {
      text += " " + String(decoding: step.params.encoded(), as: UTF8.self)
    }
    if let url = step.uploadFrom { text += " (resume from \(url))" }
    if let made = step.creates, !step.endpoint.contains("change"), step.endpoint.hasSuffix("create") {
      text += " → \(made)"
    }
    return text
  }

  static func fields(_ value: JSONValue) -> String {
    (value.object ?? [:]).sorted { $0.key < $1.key }.filter { $0.value != .null }.map {
      "\($0.key) \(WriteTargets.shown($0.value))"
    }.joined(separator: ", ")
  }
}
