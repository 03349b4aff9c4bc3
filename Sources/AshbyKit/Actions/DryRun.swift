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

  public var json: JSONValue {
    ["action": .string(action), "parameters": .object(parameters), "synthetic_id": .string(syntheticID)]
  }
}

/// Records planned writes and makes the synthetic objects returned for them.
final class DryRunRecorder: Sendable {
  private let writes = Mutex<[PlannedWrite]>([])

  var planned: [PlannedWrite] { writes.withLock { $0 } }

  /// Records a write; returns a recognisable fake id (`dry-run-candidate-1`).
  func record(_ action: String, _ parameters: [String: JSONValue], kind: String) -> String {
    writes.withLock { w in
      let id = "dry-run-\(kind)-\(w.count + 1)"
      w.append(PlannedWrite(action: action, parameters: parameters, syntheticID: id))
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
    _ = dryRun.record(p.spec.name, p.values, kind: "application")
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
    return [
      "dry_run": true, "id": .string(dryRun.record(p.spec.name, p.values, kind: "application")),
      "candidate": ["id": p["candidate_id"] ?? .null], "job": ["id": p["job_id"] ?? .null], "status": "Lead",
    ]
  }

  func planCreateCandidate(_ p: ActionParams) -> JSONValue {
    [
      "dry_run": true, "id": .string(dryRun.record(p.spec.name, p.values, kind: "candidate")),
      "name": .string("\(p.string("first_name") ?? "") \(p.string("last_name") ?? "")"),
      "primaryEmailAddress": ["value": p["email"] ?? .null, "type": "Personal", "isPrimary": true],
    ]
  }

  func planScheduleInterview(_ p: ActionParams) -> JSONValue {
    let start = Timestamps.utc(p.string("start_time") ?? "") ?? ""  // checked by ActionParams
    let end = Timestamps.utc(p.string("end_time") ?? "") ?? ""
    return [
      "dry_run": true, "id": .string(dryRun.record(p.spec.name, p.values, kind: "interview-schedule")),
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
    let id = dryRun.record(endpoint, params.object ?? [:], kind: kind)
    return AshbyResponse(
      rawResults: RawJSON(encoding: ["id": .string(id), "dry_run": true]), moreDataAvailable: false, nextCursor: nil,
      syncToken: nil,
      warnings: [], requestId: nil)
  }
}
