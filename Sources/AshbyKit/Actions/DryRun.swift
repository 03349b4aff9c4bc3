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

  public var json: JSONValue {
    [
      "action": .string(action), "parameters": .object(parameters), "synthetic_id": .string(syntheticID),
      "calls": .array(calls.map { .string($0) }),
    ]
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

  /// Records a write that would call `calls`; returns a recognisable fake id (`dry-run-candidate-1`).
  func record(_ action: String, _ parameters: [String: JSONValue], kind: String, calls: [String]) -> String {
    writes.withLock { w in
      let id = "dry-run-\(kind)-\(w.count + 1)"
      w.append(PlannedWrite(action: action, parameters: parameters, syntheticID: id, calls: calls))
      return id
    }
  }
}

extension AshbyClient {
  /// The writes a dry run planned, in order.
  public var plannedWrites: [PlannedWrite] { dryRun.planned }

  // The plans of the write actions: the reads they need still go out (so
  // names are checked for real), the write is recorded and answered with a stand-in.

  func planAdvance(_ p: ActionParams) async throws(AshbyError) -> JSONValue {
    let move = try await stageMove(p)
    let note = p.string("note") == nil ? [] : ["candidate.createNote"]
    _ = dryRun.record(p.spec.name, p.values, kind: "application", calls: ["application.changeStage"] + note)
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
    if let source = p.string("source") {
      let sources = try await resolver.list("sources") { () async throws(AshbyError) -> [JSONValue] in
        try await self.call("source.list", [:]).array ?? []
      }
      _ = try Resolver.resolve(source, among: sources, nameKey: "title", what: "source", parameter: "source")
    }
    var calls = ["application.create"]
    if p.string("resume_url") != nil, let candidate = p.string("candidate_id"), await needsResume(candidate) {
      calls += Self.resumeUploadCalls
    }
    return [
      "dry_run": true, "id": .string(dryRun.record(p.spec.name, p.values, kind: "application", calls: calls)),
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

  func planCreateCandidate(_ p: ActionParams) -> JSONValue {
    var calls = ["candidate.create"]
    if let url = p.string("resume_url"), ProfileLink.kind(of: url) == .other { calls += Self.resumeUploadCalls }
    return [
      "dry_run": true, "id": .string(dryRun.record(p.spec.name, p.values, kind: "candidate", calls: calls)),
      "name": .string("\(p.string("first_name") ?? "") \(p.string("last_name") ?? "")"),
      "primaryEmailAddress": ["value": p["email"] ?? .null, "type": "Personal", "isPrimary": true],
    ]
  }

  func planScheduleInterview(_ p: ActionParams) -> JSONValue {
    let start = Timestamps.utc(p.string("start_time") ?? "") ?? ""  // checked by ActionParams
    let end = Timestamps.utc(p.string("end_time") ?? "") ?? ""
    return [
      "dry_run": true,
      "id": .string(dryRun.record(p.spec.name, p.values, kind: "interview-schedule", calls: ["interviewSchedule.create"])),
      "applicationId": p["application_id"] ?? .null,
      "interviewEvents": [
        [
          "startTime": .string(start), "endTime": .string(end),
          "interviewers": [["email": p["interviewer_email"] ?? .null, "feedbackRequired": true]],
        ]
      ],
    ]
  }

  /// A raw write endpoint under dry run.
  func planCall(_ endpoint: String, _ params: JSONValue) -> AshbyResponse {
    let kind = endpoint.replacingOccurrences(of: ".", with: "-")
    let id = dryRun.record(endpoint, params.object ?? [:], kind: kind, calls: [endpoint])
    return AshbyResponse(
      rawResults: RawJSON(encoding: ["id": .string(id), "dry_run": true]), moreDataAvailable: false, nextCursor: nil,
      syncToken: nil,
      warnings: [], requestId: nil)
  }
}
