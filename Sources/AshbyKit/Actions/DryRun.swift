import AshbyJSON
import Foundation
import Synchronization

/// A write that a dry run did not send: what it would have done.
public struct PlannedWrite: Sendable, Equatable {
  /// The action (`create_candidate`) or, for `ashby.call`, the endpoint.
  public var action: String
  public var parameters: [String: JSONValue]
  /// The id of the synthetic object returned in its place.
  public var syntheticID: String
  /// The write endpoints it stands for, in order: what a real run would call
  /// and count (`advance_application` with a note is two).
  public var calls: [String]
  /// The endpoint calls as a plan keeps them, with the params a real run would send.
  public var steps: [PlanStep]
}

/// One write of a plan: an endpoint call with the params a real run would send.
public struct PlanStep: Sendable, Equatable {
  public var endpoint: String
  public var params: JSONValue
  /// The action that makes it (`advance_application`), or the endpoint for `ashby.call`.
  public var action: String
  public var target: WriteTarget?
  /// What the write changes of its target, read while planning: `apply` sends it only while this still holds.
  public var before: JSONValue?
  /// The stand-in id the plan gave what this write creates; later steps' params name it, and `apply`
  /// puts the real id in its place.
  public var creates: String?
  /// A resume upload: the file `apply` downloads (a handle, the upload, then this `candidate.uploadResume`).
  public var uploadFrom: String?
  /// What the target shows after it, for a person (`plan show`): the stage's title, not only its id.
  public var after: JSONValue?

  public init(
    endpoint: String, params: JSONValue, action: String, target: WriteTarget? = nil, before: JSONValue? = nil,
    creates: String? = nil, uploadFrom: String? = nil
  ) {
    self.endpoint = endpoint
    self.params = params
    self.action = action
    self.target = target ?? WriteTargets.target(of: endpoint, params)
    self.before = before
    self.creates = creates
    self.uploadFrom = uploadFrom
  }
}

extension [PlannedWrite] {
  /// Endpoint calls that write: the one count a dry run, the history and a
  /// real run's `AshbyClient.writesMade` share.
  public var endpointCalls: Int { reduce(0) { $0 + $1.calls.count } }

  /// How many of each write endpoint, most first: "22 application.changeStage, 22 candidate.createNote".
  public var breakdown: [(endpoint: String, count: Int)] {
    var counts: [String: Int] = [:]
    for call in flatMap(\.calls) { counts[call, default: 0] += 1 }
    return counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { ($0.key, $0.value) }
  }
}

/// Records planned writes and makes the synthetic objects returned for them.
final class DryRunRecorder: Sendable {
  private let writes = Mutex<[PlannedWrite]>([])

  var planned: [PlannedWrite] { writes.withLock { $0 } }

  /// Records a write that would call `calls` by making `steps` (given the stand-in id); returns that
  /// recognisable fake id (`dry-run-candidate-1`).
  func record(
    _ action: String, _ parameters: [String: JSONValue], kind: String, calls: [String],
    steps: (String) -> [PlanStep]
  ) -> String {
    writes.withLock { w in
      let id = "dry-run-\(kind)-\(w.count + 1)"
      w.append(
        PlannedWrite(action: action, parameters: parameters, syntheticID: id, calls: calls, steps: steps(id)))
      return id
    }
  }

  /// The step that created `placeholder`, earlier in this plan.
  func step(creating placeholder: String) -> PlanStep? {
    writes.withLock { w in w.lazy.flatMap(\.steps).first { $0.creates == placeholder } }
  }
}

extension AshbyClient {
  /// The writes a dry run planned, in order.
  public var plannedWrites: [PlannedWrite] { dryRun.planned }

  // The plans of the write actions: the reads they need still go out (so
  // names are checked for real), the write is recorded and answered with a stand-in.

  func planAdvance(_ p: ActionParams) async throws(AshbyError) -> JSONValue {
    let context = WriteContext(action: p.spec.name)
    let planned = await WriteContext.$current.withValue(context) {
      () async -> Result<(body: [String: JSONValue], stage: JSONValue), AshbyError> in
      do throws(AshbyError) { return .success(try await stageMove(p)) } catch { return .failure(error) }
    }
    let move = try planned.get()
    let applicationID = p.string("application_id") ?? ""
    // The application as it is (read by the stage's lookup, else once here): the before-image, and the
    // candidate a note goes to. One this plan creates has none yet.
    var application = context.takeTarget()
    if application == nil, !applicationID.hasPrefix("dry-run-") {
      application = try await call("application.info", ["applicationId": .string(applicationID)])
    }
    let candidateID =
      application?["candidate"]?["id"]?.string ?? application?["candidateId"]?.string
      ?? dryRun.step(creating: applicationID)?.params["candidateId"]?.string ?? ""
    let note = p.string("note")
    let calls = ["application.changeStage"] + (note == nil ? [] : ["candidate.createNote"])
    _ = dryRun.record(p.spec.name, p.values, kind: "application", calls: calls) { _ in
      var steps = [
        PlanStep(
          endpoint: "application.changeStage", params: .object(move.body), action: p.spec.name,
          before: application.map(WriteTargets.applicationStage))
      ]
      var after: [String: JSONValue] = ["stage": move.stage["title"] ?? .null, "stage_id": move.body["interviewStageId"] ?? .null]
      if let reason = p.string("archive_reason") { after["archive_reason"] = .string(reason) }
      steps[0].after = .object(after)
      if let note {
        steps.append(
          PlanStep(
            endpoint: "candidate.createNote", params: Self.noteBody(candidate: candidateID, note: note),
            action: p.spec.name))
      }
      return steps
    }
    var stage: [String: JSONValue] = ["id": move.body["interviewStageId"] ?? .null]
    if let title = move.stage["title"] { stage["title"] = title }
    var fields: [String: JSONValue] = [
      "dry_run": true, "id": move.body["applicationId"] ?? .null, "currentInterviewStage": .object(stage),
    ]
    if let reason = move.body["archiveReasonId"] {
      fields["status"] = "Archived"
      fields["archiveReason"] = ["id": reason]
    }
    return .object(fields)
  }

  func planCreateApplication(_ p: ActionParams) async throws(AshbyError) -> JSONValue {
    let body = try await applicationBody(p)
    var calls = ["application.create"]
    let resume = p.string("resume_url")
    let candidate = p.string("candidate_id") ?? ""
    if resume != nil, await needsResume(candidate) { calls += Self.resumeUploadCalls }
    let id = dryRun.record(p.spec.name, p.values, kind: "application", calls: calls) { id in
      var steps = [PlanStep(endpoint: "application.create", params: .object(body), action: p.spec.name, creates: id)]
      if let resume, calls.count > 1 { steps.append(Self.resumeStep(candidate: candidate, from: resume, p)) }
      return steps
    }
    return [
      "dry_run": true, "id": .string(id),
      "candidate": ["id": p["candidate_id"] ?? .null], "job": ["id": p["job_id"] ?? .null], "status": "Lead",
    ]
  }

  /// Whether `create_application` would upload a resume: as the real run
  /// decides, from `candidate.info` (a read, so it goes out); a candidate this
  /// dry run made up, or one that cannot be read, counts as having none.
  private func needsResume(_ candidate: String) async -> Bool {
    guard !candidate.hasPrefix("dry-run-"), let info = try? await call("candidate.info", ["id": .string(candidate)])
    else { return true }
    return info["resumeFileHandle"] == nil || info["resumeFileHandle"] == .null
  }

  /// The write endpoints `uploadResume` calls.
  static let resumeUploadCalls = ["file.createFileUploadHandle", "candidate.uploadResume"]

  /// A resume upload as one step: its handle and its upload belong to it and are made again at `apply`.
  static func resumeStep(candidate: String, from url: String, _ p: ActionParams) -> PlanStep {
    PlanStep(
      endpoint: "candidate.uploadResume", params: ["candidateId": .string(candidate)], action: p.spec.name,
      uploadFrom: url)
  }

  func planCreateCandidate(_ p: ActionParams) -> JSONValue {
    let (body, uploadFrom) = Self.candidateBody(p)
    var calls = ["candidate.create"]
    if uploadFrom != nil { calls += Self.resumeUploadCalls }
    let id = dryRun.record(p.spec.name, p.values, kind: "candidate", calls: calls) { id in
      var steps = [PlanStep(endpoint: "candidate.create", params: .object(body), action: p.spec.name, creates: id)]
      if let uploadFrom { steps.append(Self.resumeStep(candidate: id, from: uploadFrom, p)) }
      return steps
    }
    return [
      "dry_run": true, "id": .string(id),
      "name": .string("\(p.string("first_name") ?? "") \(p.string("last_name") ?? "")"),
      "primaryEmailAddress": ["value": p["email"] ?? .null, "type": "Personal", "isPrimary": true],
    ]
  }

  func planScheduleInterview(_ p: ActionParams) throws(AshbyError) -> JSONValue {
    let start = Timestamps.utc(p.string("start_time") ?? "") ?? ""  // checked by ActionParams
    let end = Timestamps.utc(p.string("end_time") ?? "") ?? ""
    let body = try Self.interviewBody(p)
    let id = dryRun.record(p.spec.name, p.values, kind: "interview-schedule", calls: ["interviewSchedule.create"]) {
      [PlanStep(endpoint: "interviewSchedule.create", params: body, action: p.spec.name, creates: $0)]
    }
    return [
      "dry_run": true,
      "id": .string(id),
      "applicationId": p["application_id"] ?? .null,
      "interviewEvents": [
        [
          "startTime": .string(start), "endTime": .string(end),
          "interviewers": [["email": p["interviewer_email"] ?? .null, "feedbackRequired": true]],
        ]
      ],
    ]
  }

  /// A raw write endpoint under dry run: what it changes is read (one read), for the plan's before-image.
  func planCall(_ endpoint: String, _ params: JSONValue) async -> AshbyResponse {
    let kind = endpoint.replacingOccurrences(of: ".", with: "-")
    let before = await beforeImage(endpoint, params)
    let action = WriteContext.current?.action ?? endpoint
    let id = dryRun.record(endpoint, params.object ?? [:], kind: kind, calls: [endpoint]) {
      [PlanStep(endpoint: endpoint, params: params, action: action, before: before, creates: $0)]
    }
    return AshbyResponse(
      rawResults: RawJSON(encoding: ["id": .string(id), "dry_run": true]), moreDataAvailable: false, nextCursor: nil,
      syncToken: nil,
      warnings: [], requestId: nil)
  }
}
