import AshbyJSON
import AshbyWebhook
import Foundation

/// A webhook body of any type, made from the fake's own data, so a hook script can be run by
/// itself (`run --event TYPE --fake`, `hook test NAME --event TYPE`) and its writes land on
/// objects the fake has. The `data` keys per type are Ashby's (its OpenAPI description's webhooks).
extension FakeData {
  static let sampleKeys: [String: [String]] = [
    "applicationSubmit": ["application"], "applicationUpdate": ["application"],
    "candidateHire": ["application", "offer"], "candidateStageChange": ["application"], "pushToHRIS": ["application"],
    "candidateDelete": ["candidate"], "candidateMerge": ["deletedCandidate", "mergedCandidate"],
    "interviewPlanTransition": ["jobId", "fromInterviewPlan", "toInterviewPlan", "interviewStageMappings"],
    "interviewScheduleCreate": ["interviewSchedule"], "interviewScheduleUpdate": ["interviewSchedule"],
    "jobCreate": ["job"], "jobUpdate": ["job"],
    "jobPostingUpdate": ["jobPosting"], "jobPostingPublish": ["jobPosting"], "jobPostingUnpublish": ["jobPosting"],
    "offerCreate": ["offer"], "offerDelete": ["offer"], "offerUpdate": ["offer"],
    "openingCreate": ["opening"], "signatureRequestUpdate": ["signatureRequest"], "surveySubmit": ["surveySubmission"],
    "ping": ["webhookActionType"],
  ]

  /// The `data` of a `type` event: a hire is a hired application with its offer, a stage change or a
  /// submission an application in review (the first, as the examples expect); nil for a type Ashby does not send.
  func sample(_ type: String) -> JSONValue? {
    guard let keys = Self.sampleKeys[type] else { return nil }
    let hired = applications.first { $0["status"] == "Hired" }
    let application = type == "candidateHire" ? hired ?? applications.first : applications.first
    let offer = offers.first { $0["applicationId"] == application?["id"] } ?? offers.first
    let job = jobs.first { $0["status"] == "Open" }
    let plans = plans.keys.compactMap(\.string).sorted()
    var data: JSONObject = [:]
    for key in keys {
      let value: JSONValue? =
        switch key {
        case "application": application.map(JSONValue.object)
        case "offer": offer.map(JSONValue.object)
        case "candidate", "deletedCandidate": candidates.last.map(JSONValue.object)
        case "mergedCandidate": candidates.first.map(JSONValue.object)
        case "interviewSchedule": schedules.first.map(JSONValue.object)
        case "job": job.map(JSONValue.object)
        case "jobId": job?["id"]
        case "fromInterviewPlan": plans.first.map { ["id": .string($0)] }
        case "toInterviewPlan": plans.last.map { ["id": .string($0)] }
        case "interviewStageMappings": []
        case "jobPosting":
          job.map { ["id": $0["jobPostingIds"]?.array?.first ?? .null, "jobId": $0["id"] ?? .null, "title": $0["title"] ?? .null] }
        case "opening": job.map { ["id": "opening-0001", "jobIds": [$0["id"] ?? .null], "isArchived": false] }
        case "signatureRequest": ["id": "sig-0001", "status": "Completed"]
        case "surveySubmission": ["id": "survey-0001", "candidateId": candidates.first?["id"] ?? .null]
        case "webhookActionType": "ping"
        default: nil
        }
      data[key] = value ?? .null
    }
    return .object(data)
  }
}

extension FakeAshby {
  /// A `type` event as Ashby would POST it, from this fake's data now (after the writes it took).
  public func sampleEvent(_ type: String) -> Data? {
    store.withData { $0.sample(type) }.map { Self.body(type, data: $0) }
  }

  /// A `type` event from the world a fake seeded with `seed` starts with: what a daemon's `--fake`
  /// holds, with the same ids (`hook test --event` has no fake of its own to ask).
  public static func sampleEvent(_ type: String, seed: UInt64 = Options().seed) -> Data? {
    FakeData.seeded(seed).sample(type).map { body(type, data: $0) }
  }

  /// The webhook types a sample can be made for.
  public static var sampleTypes: [String] { FakeData.sampleKeys.keys.sorted() }

  static func body(_ type: String, data: JSONValue) -> Data {
    WebhookDelivery.body(webhookActionId: "sample-\(UUID().uuidString.lowercased())", action: type, data: data)
  }
}
