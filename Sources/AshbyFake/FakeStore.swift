import AshbyCatalog
import Foundation

/// What an endpoint answers: results in the success envelope, an Ashby error
/// (HTTP 200, `success: false`), or a bare HTTP status.
enum FakeAnswer {
  case results(Any, extra: [String: Any] = [:])
  case failure(code: String, message: String)
  case http(status: Int, code: String, message: String)
}

/// The fake's state and endpoint logic, behind one lock.
final class FakeStore: @unchecked Sendable {
  private let lock = NSLock()
  private var data: FakeData
  let baseURL: @Sendable () -> String

  init(seed: UInt64, candidates: Int, baseURL: @escaping @Sendable () -> String) {
    data = FakeData.seeded(seed, candidates: candidates)
    self.baseURL = baseURL
  }

  func withData<T>(_ body: (inout FakeData) -> T) -> T {
    lock.lock()
    defer { lock.unlock() }
    return body(&data)
  }

  /// Answers as Ashby would: required fields first (from the endpoint catalog,
  /// as Ashby checks them), then the modelled endpoints; the rest of the
  /// catalog answers `invalid_input`, and a name Ashby does not have is a 404.
  func handle(_ endpoint: String, _ p: [String: Any]) -> FakeAnswer {
    if let known = Catalog.endpoint(endpoint), !known.multipart, let missing = Self.missingRequired(known, p) {
      return .failure(code: "invalid_input", message: "Missing required field: \(missing)")
    }
    lock.lock()
    defer { lock.unlock() }
    switch endpoint {
    case "job.list": return jobList(p)
    case "job.info": return find(data.jobs, p["id"], code: "job_not_found", what: "job")
    case "department.list": return page(data.departments, p)
    case "location.list": return page(data.locations, p)
    case "source.list": return .results(data.sources, extra: ["moreDataAvailable": false])
    case "user.search":
      let email = (p["email"] as? String ?? "").lowercased()
      return .results(data.users.filter { ($0["email"] as? String)?.lowercased() == email })
    case "candidate.list": return page(data.candidates, p)
    case "candidate.info": return find(data.candidates, p["id"], code: "candidate_not_found", what: "candidate")
    case "candidate.search": return candidateSearch(p)
    case "candidate.create": return candidateCreate(p)
    case "candidate.createNote": return createNote(p)
    case "candidate.uploadResume": return uploadResume(p)
    case "application.info":
      return find(data.applications, p["applicationId"], code: "application_not_found", what: "application")
    case "application.list": return timeFiltered(endpoint, data.applications, p)
    case "application.create": return applicationCreate(p)
    case "application.changeStage": return changeStage(p)
    case "archiveReason.list": return .results(data.archiveReasons, extra: ["moreDataAvailable": false])
    case "communicationTemplate.list": return page(data.communicationTemplates, p)
    case "interviewStage.info":
      let id = p["interviewStageId"] as? String
      guard let stage = data.plans.values.joined().first(where: { $0["id"] as? String == id }) else {
        return .failure(code: "interview_stage_not_found", message: "Interview stage not found")
      }
      return .results(stage)
    case "interviewStage.list":
      guard let plan = p["interviewPlanId"] as? String, let stages = data.plans[plan] else {
        return .failure(code: "interview_plan_not_found", message: "Interview plan not found")
      }
      return .results(stages, extra: ["moreDataAvailable": false])
    case "jobInterviewPlan.info":
      guard let job = data.jobs.first(where: { $0["id"] as? String == p["jobId"] as? String }),
        let plan = job["defaultInterviewPlanId"] as? String
      else { return .failure(code: "job_not_found", message: "Job not found") }
      return .results(["jobId": job["id"] ?? "", "interviewPlanId": plan, "stages": data.plans[plan] ?? []])
    case "interviewSchedule.create": return scheduleCreate(p)
    case "interviewSchedule.list": return page(data.schedules, p)
    case "file.createFileUploadHandle": return uploadHandle(p)
    case "webhook.create", "webhook.info", "webhook.update", "webhook.delete": return webhookCall(endpoint, p, data: &data)
    default:
      if Catalog.endpoint(endpoint) != nil {
        return .failure(code: "invalid_input", message: "The fake Ashby does not model \(endpoint)")
      }
      return .http(status: 404, code: "not_found", message: "No such endpoint: \(endpoint)")
    }
  }

  /// The first required field absent from the params, when no form of the request is complete.
  static func missingRequired(_ endpoint: Endpoint, _ p: [String: Any]) -> String? {
    let sets = endpoint.request.requiredSets
    let given = Set(p.compactMap { $0.value is NSNull ? nil : $0.key })
    guard !sets.isEmpty, !sets.contains(where: { Set($0).isSubset(of: given) }) else { return nil }
    return sets[0].first { !given.contains($0) }
  }

  // MARK: Reading

  private func find(_ items: [[String: Any]], _ id: Any?, code: String, what: String) -> FakeAnswer {
    guard let id = id as? String else { return .failure(code: "invalid_input", message: "\(what) id is required") }
    guard let item = items.first(where: { $0["id"] as? String == id }) else {
      return .failure(code: code, message: "\(what.capitalized) not found")
    }
    return .results(item)
  }

  /// Cursor paging: the cursor is the offset; the last page carries a sync
  /// token. With a token, only the items changed since its version (every
  /// list: an item the fake never changes never comes again).
  private func page(_ all: [[String: Any]], _ p: [String: Any]) -> FakeAnswer {
    var items = all
    if let token = p["syncToken"] as? String {
      let parts = token.dropFirst().split(separator: "-")
      guard token.hasPrefix("s"), parts.count == 2, let epoch = Int(parts[0]), let since = Int(parts[1]) else {
        return .failure(code: "sync_token_invalid", message: "The sync token is not valid")
      }
      guard epoch == data.tokenEpoch else {
        return .failure(code: "sync_token_expired", message: "The sync token has expired")
      }
      items = all.filter { data.versions[$0["id"] as? String ?? ""] ?? 0 > since }
    }
    let limit = min(max((p["limit"] as? Int) ?? 100, 1), 100)
    var offset = 0
    if let cursor = p["cursor"] as? String {
      guard cursor.hasPrefix("c"), let n = Int(cursor.dropFirst()), n >= 0, n <= items.count else {
        return .failure(code: "invalid_next_cursor", message: "The cursor is not valid")
      }
      offset = n
    }
    let slice = Array(items[offset..<min(items.count, offset + limit)])
    let more = offset + limit < items.count
    var extra: [String: Any] = ["moreDataAvailable": more]
    if more {
      extra["nextCursor"] = "c\(offset + limit)"
    } else {
      extra["syncToken"] = "s\(data.tokenEpoch)-\(data.version)"
    }
    return .results(slice, extra: extra)
  }

  private func jobList(_ p: [String: Any]) -> FakeAnswer {
    let statuses = (p["status"] as? [String]) ?? ["Open", "Closed", "Archived"]
    let valid: Set<String> = ["Open", "Closed", "Archived", "Draft"]
    if let bad = statuses.first(where: { !valid.contains($0) }) {
      return .failure(code: "invalid_input", message: "Invalid job status: \(bad)")
    }
    return timeFiltered("job.list", data.jobs.filter { statuses.contains($0["status"] as? String ?? "") }, p)
  }

  /// A page of the items the endpoint's time filters keep (`FakeTimeFilters`).
  private func timeFiltered(_ endpoint: String, _ items: [[String: Any]], _ p: [String: Any]) -> FakeAnswer {
    do {
      return page(try FakeTimeFilters.apply(endpoint, items, p), p)
    } catch {
      return .failure(code: "invalid_input", message: error.message)
    }
  }

  private func candidateSearch(_ p: [String: Any]) -> FakeAnswer {
    let email = (p["email"] as? String)?.lowercased()
    let name = (p["name"] as? String)?.lowercased()
    let found = data.candidates.filter { c in
      let emails = (c["emailAddresses"] as? [[String: Any]] ?? []).compactMap { ($0["value"] as? String)?.lowercased() }
      return (email.map { emails.contains($0) } ?? true)
        && (name.map { (c["name"] as? String)?.lowercased().contains($0) == true } ?? true)
    }
    return .results(Array(found.prefix(100)))
  }

  // MARK: Writing

  /// Marks an item (candidate or application, by id) changed now.
  private func touch(_ id: String) {
    data.version += 1
    data.versions[id] = data.version
  }

  private func candidateCreate(_ p: [String: Any]) -> FakeAnswer {
    guard let name = p["name"] as? String, !name.trimmingCharacters(in: .whitespaces).isEmpty else {
      return .failure(code: "invalid_input", message: "name is required")
    }
    let id = FakeData.id("cand", 10_000 + data.candidates.count)
    var c = FakeData.candidate(
      id: id, name: name, email: p["email"] as? String ?? "", phone: p["phoneNumber"] as? String)
    if p["email"] == nil { c["primaryEmailAddress"] = nil; c["emailAddresses"] = [] }
    var links: [[String: Any]] = []
    if let url = p["linkedInUrl"] as? String { links.append(["type": "LinkedIn", "url": url]) }
    if let url = p["githubUrl"] as? String { links.append(["type": "GitHub", "url": url]) }
    c["socialLinks"] = links
    data.candidates.append(c)
    touch(id)
    return .results(c)
  }

  private func candidateIndex(_ id: Any?) -> Int? {
    data.candidates.firstIndex { $0["id"] as? String == id as? String }
  }

  private func createNote(_ p: [String: Any]) -> FakeAnswer {
    guard let i = candidateIndex(p["candidateId"]) else {
      return .failure(code: "candidate_not_found", message: "Candidate not found")
    }
    let content: String
    if let s = p["note"] as? String {
      content = s
    } else if let o = p["note"] as? [String: Any], let v = o["value"] as? String {
      content = v
    } else {
      return .failure(code: "invalid_input", message: "note is required")
    }
    let note: [String: Any] = [
      "id": FakeData.id("note", data.notes.count), "createdAt": FakeData.iso(Date()),
      "isPrivate": p["isPrivate"] as? Bool ?? false,
      "content": content, "author": data.users[0], "candidateId": data.candidates[i]["id"] ?? "",
    ]
    data.notes.append(note)
    return .results(note)
  }

  private func uploadHandle(_ p: [String: Any]) -> FakeAnswer {
    guard p["fileUploadContext"] as? String == "CandidateResume", let filename = p["filename"] as? String else {
      return .failure(code: "invalid_input", message: "fileUploadContext and filename are required")
    }
    let handle = "upl-\(data.uploadHandles.count + 1)"
    data.uploadHandles[handle] = ["filename": filename, "uploaded": false, "contentType": p["contentType"] ?? ""]
    return .results([
      "handle": handle, "url": "\(baseURL())/_upload/\(handle)",
      "fields": ["key": "resumes/\(handle)", "policy": "fake-policy"],
    ])
  }

  /// The multipart POST to the upload URL landed.
  func markUploaded(_ handle: String, bytes: Int) -> Bool {
    lock.lock()
    defer { lock.unlock() }
    guard data.uploadHandles[handle] != nil else { return false }
    data.uploadHandles[handle]?["uploaded"] = true
    data.uploadHandles[handle]?["bytes"] = bytes
    return true
  }

  private func uploadResume(_ p: [String: Any]) -> FakeAnswer {
    guard let i = candidateIndex(p["candidateId"]) else {
      return .failure(code: "candidate_not_found", message: "Candidate not found")
    }
    guard let handle = p["resumeHandle"] as? String, let upload = data.uploadHandles[handle],
      upload["uploaded"] as? Bool == true
    else { return .failure(code: "invalid_input", message: "Unknown or not yet uploaded resume handle") }
    let file: [String: Any] = [
      "id": FakeData.id("file", 5000 + data.uploadHandles.count), "name": upload["filename"] ?? "", "handle": handle,
    ]
    data.candidates[i]["resumeFileHandle"] = file
    data.candidates[i]["fileHandles"] = ((data.candidates[i]["fileHandles"] as? [Any]) ?? []) + [file]
    touch(data.candidates[i]["id"] as? String ?? "")
    return .results(data.candidates[i])
  }

  private func applicationCreate(_ p: [String: Any]) -> FakeAnswer {
    guard let ci = candidateIndex(p["candidateId"]) else {
      return .failure(code: "candidate_not_found", message: "Candidate not found")
    }
    guard let job = data.jobs.first(where: { $0["id"] as? String == p["jobId"] as? String }) else {
      return .failure(code: "job_not_found", message: "Job not found")
    }
    var source: [String: Any]?
    if let sid = p["sourceId"] as? String {
      guard let s = data.sources.first(where: { $0["id"] as? String == sid }) else {
        return .failure(code: "source_not_found", message: "Source not found")
      }
      source = s
    }
    let plan = job["defaultInterviewPlanId"] as? String ?? ""
    guard let stage = data.plans[plan]?.first else {
      return .failure(code: "interview_plan_not_found", message: "Interview plan not found")
    }
    let app = FakeData.application(
      id: FakeData.id("app", 10_000 + data.applications.count), candidate: data.candidates[ci], job: job, stage: stage,
      source: source, daysAgo: 0)
    data.applications.append(app)
    data.candidates[ci]["applicationIds"] =
      ((data.candidates[ci]["applicationIds"] as? [String]) ?? []) + [app["id"] as? String ?? ""]
    touch(data.candidates[ci]["id"] as? String ?? "")
    touch(app["id"] as? String ?? "")
    emit("applicationSubmit", ["application": app], data: &data)
    return .results(app)
  }

  private func changeStage(_ p: [String: Any]) -> FakeAnswer {
    guard let i = data.applications.firstIndex(where: { $0["id"] as? String == p["applicationId"] as? String }) else {
      return .failure(code: "application_not_found", message: "Application not found")
    }
    let plan = (data.applications[i]["currentInterviewStage"] as? [String: Any])?["interviewPlanId"] as? String ?? ""
    guard let stage = data.plans[plan]?.first(where: { $0["id"] as? String == p["interviewStageId"] as? String }) else {
      return .failure(code: "interview_stage_not_found", message: "Interview stage not found in the application's plan")
    }
    // Ashby's rule: a move to an `Archived` stage needs a real archive reason.
    if stage["type"] as? String == "Archived" {
      guard let reasonID = p["archiveReasonId"] as? String else {
        return .failure(
          code: "invalid_input", message: "archiveReasonId is required when moving to an Archived interview stage")
      }
      guard let reason = data.archiveReasons.first(where: { $0["id"] as? String == reasonID }) else {
        return .failure(code: "archive_reason_not_found", message: "Archive reason not found")
      }
      if let email = p["archiveEmail"] as? [String: Any] {
        let template = email["communicationTemplateId"] as? String
        guard data.communicationTemplates.contains(where: { $0["id"] as? String == template }) else {
          return .failure(code: "communication_template_not_found", message: "Communication template not found")
        }
        data.archiveEmails.append(["applicationId": p["applicationId"] ?? "", "email": email])
      }
      data.applications[i]["archiveReason"] = reason
    } else {
      data.applications[i]["archiveReason"] = nil
    }
    data.applications[i]["currentInterviewStage"] = stage
    data.applications[i]["status"] =
      stage["type"] as? String == "Hired" ? "Hired" : (stage["type"] as? String == "Archived" ? "Archived" : "Active")
    data.applications[i]["updatedAt"] = FakeData.iso(Date())
    touch(data.applications[i]["id"] as? String ?? "")
    emit("candidateStageChange", ["application": data.applications[i]], data: &data)
    if stage["type"] as? String == "Hired" { emit("candidateHire", ["application": data.applications[i]], data: &data) }
    return .results(data.applications[i])
  }

  private func scheduleCreate(_ p: [String: Any]) -> FakeAnswer {
    guard let app = data.applications.first(where: { $0["id"] as? String == p["applicationId"] as? String }) else {
      return .failure(code: "application_not_found", message: "Application not found")
    }
    guard let events = p["interviewEvents"] as? [[String: Any]], !events.isEmpty else {
      return .failure(code: "invalid_input", message: "interviewEvents is required")
    }
    var out: [[String: Any]] = []
    for (k, e) in events.enumerated() {
      guard let start = e["startTime"] as? String, let end = e["endTime"] as? String, start.hasSuffix("Z"),
        end.hasSuffix("Z")
      else {
        return .failure(code: "invalid_input", message: "startTime and endTime must be UTC ISO 8601")
      }
      let interviewers = e["interviewers"] as? [[String: Any]] ?? []
      for person in interviewers {
        let email = (person["email"] as? String ?? "").lowercased()
        guard let user = data.users.first(where: { ($0["email"] as? String)?.lowercased() == email }) else {
          return .failure(code: "invalid_input", message: "No Ashby user with email \(email)")
        }
        _ = user
      }
      out.append([
        "id": FakeData.id("evt", data.schedules.count * 10 + k), "startTime": start, "endTime": end,
        "interviewers": interviewers, "extraData": e["extraData"] ?? [:],
      ])
    }
    let schedule: [String: Any] = [
      "id": FakeData.id("sch", data.schedules.count), "applicationId": app["id"] ?? "",
      "interviewStageId": (app["currentInterviewStage"] as? [String: Any])?["id"] ?? "", "status": "Scheduled",
      "interviewEvents": out,
    ]
    data.schedules.append(schedule)
    emit("interviewScheduleCreate", ["interviewSchedule": schedule], data: &data)
    return .results(schedule)
  }
}
