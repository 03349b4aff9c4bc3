import AshbyJSON
import AshbyKit
import AshbyState
import Foundation
import Testing

@testable import AshbyPlans

@Suite struct PlanTests {
  static let move: PlanStep = {
    var step = PlanStep(
      endpoint: "application.changeStage", params: ["applicationId": "app-1", "interviewStageId": "stg-9"],
      action: "advance_application", before: ["stage_id": "stg-2", "stage": "Screen", "status": "Active"])
    step.after = ["stage": "Archived", "stage_id": "stg-9"]
    return step
  }()

  /// What is written is read back whole: the file is the plan.
  @Test func aPlanReadsBackAsItWasWritten() throws {
    let created = PlanStep(
      endpoint: "candidate.create", params: ["name": "Ada Lovelace", "email": "ada@example.com"],
      action: "create_candidate", creates: "dry-run-candidate-1")
    let upload = PlanStep(
      endpoint: "candidate.uploadResume", params: ["candidateId": "dry-run-candidate-1"], action: "create_candidate",
      uploadFrom: "https://files.example.com/ada.pdf")
    let plan = Plan(
      createdAt: Date(timeIntervalSince1970: 1_800_000_000), baseURL: "https://api.ashbyhq.com", keyTitle: "ops",
      apiVersion: "2025-01-01", script: .init(path: "s.lua", sha256: "ab", args: ["--all"]),
      steps: [created, upload, Self.move])
    let read = try Plan(data: plan.fileData)
    #expect(read == plan)
    #expect(read.steps[2].target == WriteTarget(type: "application", id: "app-1"))
    #expect(PlanText.describe(read).contains(
      "3. application.changeStage (advance_application) on application app-1: stage \"Screen\", stage_id \"stg-2\", status \"Active\" → stage \"Archived\", stage_id \"stg-9\""))
  }

  @Test func aFileThatIsNotAPlanIsToldApart() {
    #expect(throws: Plan.Unreadable.self) { try Plan(data: Data("{\"writes\": []}".utf8)) }
    #expect(throws: Plan.Unreadable.self) { try Plan(data: Data("not json".utf8)) }
    var broken = Plan(baseURL: "x", keyTitle: nil, apiVersion: "v", script: nil, steps: [Self.move]).json
    broken["writes"] = [["endpoint": "../etc", "params": [:]]]
    #expect(throws: Plan.Unreadable.self) { try Plan(json: broken) }
  }

  /// Stand-ins are replaced wherever they are; one whose step was not made stops the steps that need it.
  @Test func placeholdersAreFilledOrStopTheirStep() {
    var placeholders = Placeholders()
    placeholders.ids["dry-run-candidate-1"] = "cand-77"
    placeholders.notMade = ["dry-run-application-2"]
    guard case .filled(let params) = placeholders.fill(["candidateId": "dry-run-candidate-1", "x": ["dry-run-candidate-1"]])
    else { Issue.record("not filled"); return }
    #expect(params == ["candidateId": "cand-77", "x": ["cand-77"]])
    guard case .missing(let name) = placeholders.fill(["applicationId": "dry-run-application-2"]) else {
      Issue.record("a step that was not made was filled"); return
    }
    #expect(name == "dry-run-application-2")
  }

  static func row(_ endpoint: String, _ params: JSONValue, before: JSONValue? = nil, object: String? = nil, id: Int64)
    -> AuditRecord
  {
    var row = AuditRecord(
      time: Date(), runID: "r1", origin: "run", endpoint: endpoint,
      params: String(decoding: params.encoded(), as: UTF8.self), outcome: "ok",
      before: before.map { String(decoding: $0.encoded(), as: UTF8.self) })
    row.objectID = object
    row.id = id
    return row
  }

  /// The undo table of docs/plans.md: each write's way back, the last change first, and what has none.
  @Test func undoReversesWhatHasAWayBackAndListsTheRest() throws {
    let rows = [
      Self.row(
        "application.changeStage", ["applicationId": "app-1", "interviewStageId": "stg-arch", "archiveReasonId": "r-1"],
        before: ["stage_id": "stg-2", "status": "Active"], id: 1),
      Self.row(
        "application.changeStage", ["applicationId": "app-2", "interviewStageId": "stg-3"],
        before: ["stage_id": "stg-arch", "status": "Archived", "archive_reason_id": "r-4"], id: 2),
      Self.row("candidate.createNote", ["candidateId": "cand-1", "note": "moved"], object: "note-1", id: 3),
      Self.row("job.setStatus", ["jobId": "job-1", "status": "Closed"], before: ["status": "Open"], id: 4),
      Self.row("interviewSchedule.create", ["applicationId": "app-1"], object: "sched-1", id: 5),
      Self.row("candidate.update", ["candidateId": "cand-1", "name": "B"], before: ["name": "A"], id: 6),
    ]
    let plan = UndoPlanner.plan(undoing: "r1", rows: rows, baseURL: "fake", keyTitle: nil, apiVersion: "v")
    #expect(plan.steps.map(\.endpoint) == [
      "candidate.update", "interviewSchedule.cancel", "job.setStatus", "application.changeStage",
      "application.changeStage",
    ])
    #expect(plan.steps[0].params == ["candidateId": "cand-1", "name": "A"])
    #expect(plan.steps[0].before == ["name": "B"])
    #expect(plan.steps[1].params == ["id": "sched-1"])
    #expect(plan.steps[2].params == ["jobId": "job-1", "status": "Open"])
    // Back out of the archive it was moved into, and back into the archive it was taken from.
    #expect(plan.steps[3].params == ["applicationId": "app-2", "interviewStageId": "stg-arch", "archiveReasonId": "r-4"])
    #expect(plan.steps[4].params == ["applicationId": "app-1", "interviewStageId": "stg-2"])
    #expect(plan.steps[4].before == ["stage_id": "stg-arch"])
    #expect(plan.cannotUndo.map(\.endpoint) == ["candidate.createNote"])
    #expect(plan.cannotUndo.first?.objectID == "note-1")
  }

  /// What the audit log cannot put back is said, not guessed: an archive with no reason to go back to, an
  /// update of a field Ashby names otherwise, the email an archive sent.
  @Test func undoSaysWhatItCannotPutBack() {
    let rows = [
      Self.row(
        "application.changeStage", ["applicationId": "a", "interviewStageId": "s"],
        before: ["stage_id": "arch", "status": "Archived", "archive_reason": "Old"], id: 1),
      Self.row("candidate.update", ["candidateId": "c", "email": "new@example.com", "sendNotifications": false],
        before: [:], id: 2),
      Self.row(
        "application.changeStage", ["applicationId": "b", "interviewStageId": "arch", "archiveReasonId": "r", "archiveEmail": ["communicationTemplateId": "t"]],
        before: ["stage_id": "s1", "status": "Active"], id: 3),
    ]
    let plan = UndoPlanner.plan(undoing: "r1", rows: rows, baseURL: "fake", keyTitle: nil, apiVersion: "v")
    #expect(plan.steps.map(\.params) == [["applicationId": "b", "interviewStageId": "s1"]])
    #expect(plan.cannotUndo.map(\.reason) == [
      "the archive email it sent cannot be taken back",
      "Ashby does not show the old value of email under that name",
      "it took the application out of the archive, and the audit log has no archive reason to put it back with",
    ])
  }

  /// A renamed stage is no drift; a number written as 5 or 5.0 is the same number.
  @Test func driftComparesWhatTheWriteChanges() {
    let before: JSONValue = ["stage": "Screen", "stage_id": "s1", "status": "Active", "value": .double(5)]
    #expect(WriteTargets.shows(["stage": "Phone screen", "stage_id": "s1", "status": "Active", "value": 5], before))
    #expect(!WriteTargets.shows(["stage": "Screen", "stage_id": "s2", "status": "Active", "value": 5], before))
  }

  @Test func aWriteWhoseOutcomeIsUnknownIsNotUndoneBlind() {
    var row = Self.row("application.changeStage", ["applicationId": "a", "interviewStageId": "s"], id: 1)
    row.outcome = "ambiguous"
    guard case .failure(let why) = UndoPlanner.reverse(of: row) else { Issue.record("undone"); return }
    #expect(why.reason.contains("unknown"))
  }
}
