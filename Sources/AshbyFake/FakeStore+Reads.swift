import AshbyJSON
import Foundation

/// The reads a recruiting script reaches for beyond jobs, candidates and applications: postings,
/// plans, notes, stage history, offers. Called with the lock held.
extension FakeStore {
  func jobInterviewPlan(_ p: JSONObject) -> FakeAnswer {
    guard let job = data.jobs.first(where: { $0["id"] == p["jobId"] }), let plan = job["defaultInterviewPlanId"] else {
      return .failure(code: "job_not_found", message: "Job not found")
    }
    let stages = (data.plans[plan] ?? []).map(JSONValue.object)
    return .results(["jobId": job["id"] ?? "", "interviewPlanId": plan, "stages": .array(stages)])
  }

  /// One posting per job that is open or closed; the filters compare names exactly, as Ashby does.
  func jobPostings(_ p: JSONObject) -> FakeAnswer {
    var postings = data.jobs.compactMap { job -> JSONObject? in
      guard let status = job["status"]?.string, status == "Open" || status == "Closed",
        let id = job["jobPostingIds"]?.array?.first
      else { return nil }
      let department = data.departments.first { $0["id"] == job["departmentId"] }
      let location = data.locations.first { $0["id"] == job["locationId"] }
      return [
        "id": id, "title": job["title"] ?? "", "jobId": job["id"] ?? "", "isListed": .bool(status == "Open"),
        "departmentName": department?["name"] ?? .null, "locationName": location?["name"] ?? .null,
        "employmentType": job["employmentType"] ?? .null, "updatedAt": job["updatedAt"] ?? .null,
      ]
    }
    if let location = p["location"]?.string { postings = postings.filter { $0["locationName"]?.string == location } }
    if let department = p["department"]?.string {
      postings = postings.filter { $0["departmentName"]?.string == department }
    }
    if p["listedOnly"] == true { postings = postings.filter { $0["isListed"] == true } }
    return .results(postings, extra: ["moreDataAvailable": false])
  }

  func listNotes(_ p: JSONObject) -> FakeAnswer {
    guard let id = p["candidateId"] else { return .failure(code: "invalid_input", message: "candidateId is required") }
    guard candidateIndex(id) != nil else {
      return .failure(code: "candidate_not_found", message: "Candidate not found")
    }
    return page(data.notes.filter { $0["candidateId"] == id }, p)
  }

  func listHistory(_ p: JSONObject) -> FakeAnswer {
    guard let id = p["applicationId"] else { return .failure(code: "invalid_input", message: "applicationId is required") }
    guard data.applications.contains(where: { $0["id"] == id }) else {
      return .failure(code: "application_not_found", message: "Application not found")
    }
    return page(data.history[id] ?? [], p)
  }

  func offers(_ p: JSONObject) -> FakeAnswer {
    let all = data.offers
    return page(p["applicationId"].map { id in all.filter { $0["applicationId"] == id } } ?? all, p)
  }

  /// Records a move: the stage the application is in now is left at `at` (an ISO time), `stage` entered.
  func recordMove(of application: JSONValue, to stage: JSONObject, at: JSONValue) {
    FakeData.recordMove(&data, of: application, to: stage, at: at)
  }
}

extension FakeData {
  /// An application's stage history gets a new entry; the open one before it is closed.
  static func recordMove(_ d: inout FakeData, of application: JSONValue, to stage: JSONObject, at: JSONValue) {
    var entries = d.history[application] ?? []
    if let last = entries.indices.last { entries[last]["leftStageAt"] = at }
    entries.append([
      "id": id("hist", d.historyCount), "stageId": stage["id"] ?? .null, "title": stage["title"] ?? .null,
      "stageNumber": stage["orderInInterviewPlan"] ?? .null, "enteredStageAt": at, "leftStageAt": .null,
      "actorId": d.users.first?["id"] ?? .null,
    ])
    d.historyCount += 1
    d.history[application] = entries
    if stage["type"] == "Offer", !d.offers.contains(where: { $0["applicationId"] == application }) {
      d.offers.append([
        "id": id("off", d.offers.count), "applicationId": application, "offerStatus": "WaitingOnCandidateResponse",
        "acceptanceStatus": "Pending", "decidedAt": .null,
        "latestVersion": [
          "id": id("offv", d.offers.count), "createdAt": at,
          "startDate": date(daysAgo: -30, from: at.string.flatMap(Timestamps.parse) ?? Date()),
        ],
      ])
    }
    if stage["type"] == "Hired", let i = d.offers.firstIndex(where: { $0["applicationId"] == application }) {
      d.offers[i]["offerStatus"] = "OfferAccepted"
      d.offers[i]["acceptanceStatus"] = "Accepted"
      d.offers[i]["decidedAt"] = at
    }
  }
}
