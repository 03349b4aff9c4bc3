import AshbyJSON
import AshbyKit
import AshbyState
import Foundation

/// `undo`: a plan that puts back what a run changed, from its rows in the audit log (newest first), where
/// Ashby's API has a way back. Each step's before-image is what the run left, so `apply` skips a step whose
/// object someone changed again since (drift), as for any plan.
public enum UndoPlanner {
  /// The way back of each write that has one (docs/plans.md's table).
  public static func reverse(of row: AuditRecord) -> Result<PlanStep, Plan.Irreversible> {
    let params = decode(row.params)
    let before = row.before.map(decode)
    func cannot(_ reason: String) -> Result<PlanStep, Plan.Irreversible> {
      .failure(Plan.Irreversible(endpoint: row.endpoint, objectID: row.objectID ?? target(row, params), reason: reason))
    }
    guard row.outcome == "ok" else {
      return cannot(
        row.outcome == "failed" || row.outcome == "refused"
          ? "it did not change anything (\(row.outcome))" : "its outcome is unknown (\(row.outcome)): check it in Ashby")
    }
    let action = "undo"
    switch row.endpoint {
    case "interviewSchedule.create":
      guard let id = row.objectID else { return cannot("the audit log has no id of the schedule it created") }
      return .success(
        PlanStep(
          endpoint: "interviewSchedule.cancel", params: ["id": .string(id)], action: action,
          target: WriteTargets.target(of: row.endpoint, params)))
    case "application.changeStage":
      guard let before, let stage = before["stage_id"]?.string else { return cannot(noBefore) }
      var back: [String: JSONValue] = ["applicationId": params["applicationId"] ?? .null, "interviewStageId": .string(stage)]
      if before["status"]?.string == "Archived" {
        // It was archived before: archived again, for the same reason (which Ashby requires).
        guard let reason = before["archive_reason_id"]?.string else {
          return cannot("it took the application out of the archive, and the audit log has no archive reason to put it back with")
        }
        back["archiveReasonId"] = .string(reason)
      }
      return step(row, .object(back), expected: WriteTargets.after(row.endpoint, params))
    case "application.changeSource":
      guard let source = before?["source_id"], source != .null else { return cannot(noBefore) }
      return step(
        row, ["applicationId": params["applicationId"] ?? .null, "sourceId": source],
        expected: WriteTargets.after(row.endpoint, params))
    case "job.setStatus":
      guard let status = before?["status"], status != .null else { return cannot(noBefore) }
      return step(
        row, ["jobId": params["jobId"] ?? .null, "status": status], expected: WriteTargets.after(row.endpoint, params))
    case "customField.setValue":
      guard let before else { return cannot(noBefore) }
      var back = params
      back["fieldValue"] = before["value"] ?? .null
      return step(row, back, expected: WriteTargets.after(row.endpoint, params))
    case "application.update", "candidate.update":
      guard let old = before?.object else { return cannot(noBefore) }
      let unknown = WriteTargets.changedFields(row.endpoint, params).filter { old[$0] == nil }
      guard unknown.isEmpty else {
        return cannot("Ashby does not show the old value of \(unknown.joined(separator: ", ")) under that name")
      }
      let idName = row.endpoint == "candidate.update" ? "candidateId" : "applicationId"
      var back: [String: JSONValue] = [idName: params[idName] ?? .null]
      for (name, value) in old { back[name] = value }
      return step(row, .object(back), expected: WriteTargets.after(row.endpoint, params))
    case "candidate.create", "application.create", "candidate.createNote", "candidate.addTag",
      "candidate.uploadResume", "file.createFileUploadHandle":
      return cannot("Ashby's API has no way to delete or remove it")
    default:
      return cannot(
        row.endpoint.contains("email") || row.endpoint.hasPrefix("communication")
          ? "an email sent cannot be taken back" : "ashby-lua knows no way back for \(row.endpoint)")
    }
  }

  static let noBefore = "the audit log has no before-image of it"

  /// The undo plan of the run (or plan) `id`, from its rows in the audit log.
  public static func plan(
    undoing id: String, rows: [AuditRecord], baseURL: String, keyTitle: String?, apiVersion: String
  ) -> Plan {
    var steps: [PlanStep] = []
    var cannot: [Plan.Irreversible] = []
    for row in rows.sorted(by: { ($0.id ?? 0) > ($1.id ?? 0) }) {  // the last change first
      switch reverse(of: row) {
      case .success(let step): steps.append(step)
      case .failure(let irreversible): cannot.append(irreversible)
      }
      if row.outcome == "ok", decode(row.params)["archiveEmail"] != nil {
        cannot.append(
          Plan.Irreversible(
            endpoint: row.endpoint, objectID: row.objectID ?? target(row, decode(row.params)),
            reason: "the archive email it sent cannot be taken back"))
      }
    }
    return Plan(
      baseURL: baseURL, keyTitle: keyTitle, apiVersion: apiVersion, script: nil, steps: steps, undoes: id,
      cannotUndo: cannot)
  }

  private static func step(_ row: AuditRecord, _ params: JSONValue, expected: JSONValue?) -> Result<
    PlanStep, Plan.Irreversible
  > {
    .success(
      PlanStep(
        endpoint: row.endpoint, params: params, action: "undo", target: WriteTargets.target(of: row.endpoint, params),
        before: expected))
  }

  private static func target(_ row: AuditRecord, _ params: JSONValue) -> String? {
    WriteTargets.target(of: row.endpoint, params)?.id
  }

  static func decode(_ text: String) -> JSONValue { (try? JSONValue.decode(Data(text.utf8))) ?? .null }
}
