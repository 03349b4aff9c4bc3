import AshbyCatalog
import AshbyJSON
import Foundation

/// What an endpoint answers: results in the success envelope, an Ashby error
/// (HTTP 200, `success: false`), or a bare HTTP status.
enum FakeAnswer {
  case results(JSONValue, extra: JSONObject = [:])
  case failure(code: String, message: String)
  case http(status: Int, code: String, message: String)

  static func results(_ object: JSONObject) -> FakeAnswer { .results(.object(object)) }
  static func results(_ items: [JSONObject], extra: JSONObject = [:]) -> FakeAnswer {
    .results(.array(items.map(JSONValue.object)), extra: extra)
  }
}

/// The fake's state and endpoint logic, behind one lock.
final class FakeStore: @unchecked Sendable {
  private let lock = NSLock()
  /// Read and changed with the lock held only.
  var data: FakeData
  /// The world at start, which `FakeAshby.reset` brings back (a copy on write: free until changed).
  let initial: FakeData
  let baseURL: @Sendable () -> String

  init(seed: UInt64, candidates: Int, baseURL: @escaping @Sendable () -> String) {
    initial = FakeData.seeded(seed, candidates: candidates)
    data = initial
    self.baseURL = baseURL
  }

  func withData<T>(_ body: (inout FakeData) -> T) -> T {
    lock.lock()
    defer { lock.unlock() }
    return body(&data)
  }

  /// Runs `body` with the lock held, for the handlers (they read and change `data` themselves).
  func withLock<T>(_ body: () -> T) -> T {
    lock.lock()
    defer { lock.unlock() }
    return body()
  }

  /// Answers as Ashby would: required fields first (from the endpoint catalog,
  /// as Ashby checks them), then the modelled endpoints; the rest of the
  /// catalog answers `invalid_input`, and a name Ashby does not have is a 404.
  func handle(_ endpoint: String, _ params: JSONObject) -> FakeAnswer {
    let known = Catalog.endpoint(endpoint)
    if let known, !known.multipart, let missing = Self.missingRequired(known, params) {
      return .failure(code: "invalid_input", message: "Missing required field: \(missing)")
    }
    guard let modelled = Self.endpoints[endpoint] else {
      guard known != nil else { return .http(status: 404, code: "not_found", message: "No such endpoint: \(endpoint)") }
      return .failure(code: "invalid_input", message: "The fake Ashby does not model \(endpoint)")
    }
    return withLock { modelled.handle(self, params) }
  }

  /// The first required field absent from the params, when no form of the request is complete.
  static func missingRequired(_ endpoint: Endpoint, _ p: JSONObject) -> String? {
    let sets = endpoint.request.requiredSets
    let given = Set(p.compactMap { $0.value == .null ? nil : $0.key })
    guard !sets.isEmpty, !sets.contains(where: { Set($0).isSubset(of: given) }) else { return nil }
    return sets[0].first { !given.contains($0) }
  }

  // MARK: Reading

  func find(_ items: [JSONObject], _ id: JSONValue?, code: String, what: String) -> FakeAnswer {
    guard let id, id.string != nil else { return .failure(code: "invalid_input", message: "\(what) id is required") }
    guard let item = items.first(where: { $0["id"] == id }) else {
      return .failure(code: code, message: "\(what.capitalized) not found")
    }
    return .results(item)
  }

  /// Cursor paging: the cursor is the offset; the last page carries a sync
  /// token. With a token, only the items changed since its version (every
  /// list: an item the fake never changes never comes again).
  func page(_ all: [JSONObject], _ p: JSONObject) -> FakeAnswer {
    var items = all
    if let token = p["syncToken"]?.string {
      let parts = token.dropFirst().split(separator: "-")
      guard token.hasPrefix("s"), parts.count == 2, let epoch = Int(parts[0]), let since = Int(parts[1]) else {
        return .failure(code: "sync_token_invalid", message: "The sync token is not valid")
      }
      guard epoch == data.tokenEpoch else {
        return .failure(code: "sync_token_expired", message: "The sync token has expired")
      }
      items = all.filter { data.versions[$0["id"] ?? .null] ?? 0 > since }
    }
    let limit = Int(min(max(p["limit"]?.int ?? 100, 1), 100))
    var offset = 0
    if let cursor = p["cursor"]?.string {
      guard cursor.hasPrefix("c"), let n = Int(cursor.dropFirst()), n >= 0, n <= items.count else {
        return .failure(code: "invalid_next_cursor", message: "The cursor is not valid")
      }
      offset = n
    }
    let slice = Array(items[offset..<min(items.count, offset + limit)])
    let more = offset + limit < items.count
    var extra: JSONObject = ["moreDataAvailable": .bool(more)]
    if more {
      extra["nextCursor"] = "c\(offset + limit)"
    } else {
      extra["syncToken"] = "s\(data.tokenEpoch)-\(data.version)"
    }
    return .results(slice, extra: extra)
  }

  func jobList(_ p: JSONObject) -> FakeAnswer {
    let statuses = p["status"]?.array?.compactMap(\.string) ?? ["Open", "Closed", "Archived"]
    let valid: Set<String> = ["Open", "Closed", "Archived", "Draft"]
    if let bad = statuses.first(where: { !valid.contains($0) }) {
      return .failure(code: "invalid_input", message: "Invalid job status: \(bad)")
    }
    return timeFiltered("job.list", data.jobs.filter { statuses.contains($0["status"]?.string ?? "") }, p)
  }

  /// A page of the items the endpoint's time filters keep (`FakeTimeFilters`).
  func timeFiltered(_ endpoint: String, _ items: [JSONObject], _ p: JSONObject) -> FakeAnswer {
    do {
      return page(try FakeTimeFilters.apply(endpoint, items, p), p)
    } catch {
      return .failure(code: "invalid_input", message: error.message)
    }
  }

  func candidateSearch(_ p: JSONObject) -> FakeAnswer {
    let email = p["email"]?.string?.lowercased()
    let name = p["name"]?.string?.lowercased()
    let found = data.candidates.filter { c in
      let emails = (c["emailAddresses"]?.array ?? []).compactMap { $0["value"]?.string?.lowercased() }
      return (email.map { emails.contains($0) } ?? true)
        && (name.map { c["name"]?.string?.lowercased().contains($0) == true } ?? true)
    }
    return .results(Array(found.prefix(100)))
  }

  // MARK: Writing

  /// Marks an item (candidate or application, by id) changed now.
  func touch(_ id: JSONValue?) {
    data.version += 1
    data.versions[id ?? .null] = data.version
  }

  func candidateCreate(_ p: JSONObject) -> FakeAnswer {
    guard let name = p["name"]?.string, !name.trimmingCharacters(in: .whitespaces).isEmpty else {
      return .failure(code: "invalid_input", message: "name is required")
    }
    let id = FakeData.id("cand", 10_000 + data.candidates.count)
    var c = FakeData.candidate(id: id, name: name, email: p["email"]?.string, phone: p["phoneNumber"]?.string)
    var links: [JSONValue] = []
    if let url = p["linkedInUrl"]?.string { links.append(["type": "LinkedIn", "url": .string(url)]) }
    if let url = p["githubUrl"]?.string { links.append(["type": "GitHub", "url": .string(url)]) }
    c["socialLinks"] = .array(links)
    data.candidates.append(c)
    touch(id)
    return .results(c)
  }

  func candidateIndex(_ id: JSONValue?) -> Int? {
    guard let id else { return nil }
    return data.candidates.firstIndex { $0["id"] == id }
  }

  func createNote(_ p: JSONObject) -> FakeAnswer {
    guard let i = candidateIndex(p["candidateId"]) else {
      return .failure(code: "candidate_not_found", message: "Candidate not found")
    }
    guard let content = p["note"]?.string ?? p["note"]?["value"]?.string else {
      return .failure(code: "invalid_input", message: "note is required")
    }
    let note: JSONObject = [
      "id": FakeData.id("note", data.notes.count), "createdAt": FakeData.iso(Date()),
      "isPrivate": .bool(p["isPrivate"]?.bool ?? false),
      "content": .string(content), "author": .object(data.users[0]), "candidateId": data.candidates[i]["id"] ?? "",
    ]
    data.notes.append(note)
    return .results(note)
  }

  func uploadHandle(_ p: JSONObject) -> FakeAnswer {
    guard p["fileUploadContext"] == "CandidateResume", let filename = p["filename"]?.string else {
      return .failure(code: "invalid_input", message: "fileUploadContext and filename are required")
    }
    let handle = "upl-\(data.uploadHandles.count + 1)"
    data.uploadHandles[handle] = FakeData.Upload(filename: filename, contentType: p["contentType"] ?? "")
    return .results([
      "handle": .string(handle), "url": "\(baseURL())/_upload/\(handle)",
      "fields": ["key": "resumes/\(handle)", "policy": "fake-policy"],
    ])
  }

  /// The multipart POST to the upload URL landed.
  func markUploaded(_ handle: String, bytes: Int) -> Bool {
    withData { data in
      guard data.uploadHandles[handle] != nil else { return false }
      data.uploadHandles[handle]?.bytes = bytes
      return true
    }
  }

  func uploadResume(_ p: JSONObject) -> FakeAnswer {
    guard let i = candidateIndex(p["candidateId"]) else {
      return .failure(code: "candidate_not_found", message: "Candidate not found")
    }
    guard let handle = p["resumeHandle"]?.string, let upload = data.uploadHandles[handle], upload.bytes != nil
    else { return .failure(code: "invalid_input", message: "Unknown or not yet uploaded resume handle") }
    let file: JSONValue = [
      "id": FakeData.id("file", 5000 + data.uploadHandles.count), "name": .string(upload.filename),
      "handle": .string(handle),
    ]
    data.candidates[i]["resumeFileHandle"] = file
    data.candidates[i]["fileHandles"] = .array((data.candidates[i]["fileHandles"]?.array ?? []) + [file])
    touch(data.candidates[i]["id"])
    return .results(data.candidates[i])
  }

  func applicationCreate(_ p: JSONObject) -> FakeAnswer {
    guard let ci = candidateIndex(p["candidateId"]) else {
      return .failure(code: "candidate_not_found", message: "Candidate not found")
    }
    guard let job = data.jobs.first(where: { $0["id"] == p["jobId"] }) else {
      return .failure(code: "job_not_found", message: "Job not found")
    }
    var source: JSONObject?
    if let sid = p["sourceId"], sid != .null {
      guard let s = data.sources.first(where: { $0["id"] == sid }) else {
        return .failure(code: "source_not_found", message: "Source not found")
      }
      source = s
    }
    guard let stage = data.plans[job["defaultInterviewPlanId"] ?? .null]?.first else {
      return .failure(code: "interview_plan_not_found", message: "Interview plan not found")
    }
    let app = FakeData.application(
      id: FakeData.id("app", 10_000 + data.applications.count), candidate: data.candidates[ci], job: job, stage: stage,
      source: source, daysAgo: 0)
    data.applications.append(app)
    recordMove(of: app["id"] ?? .null, to: stage, at: app["createdAt"] ?? FakeData.iso(Date()))
    data.candidates[ci]["applicationIds"] =
      .array((data.candidates[ci]["applicationIds"]?.array ?? []) + [app["id"] ?? .null])
    touch(data.candidates[ci]["id"])
    touch(app["id"])
    emit("applicationSubmit", ["application": .object(app)])
    return .results(app)
  }

  func changeStage(_ p: JSONObject) -> FakeAnswer {
    guard let i = data.applications.firstIndex(where: { $0["id"] == p["applicationId"] }) else {
      return .failure(code: "application_not_found", message: "Application not found")
    }
    let plan = data.applications[i]["currentInterviewStage"]?["interviewPlanId"] ?? .null
    guard let stage = data.plans[plan]?.first(where: { $0["id"] == p["interviewStageId"] }) else {
      return .failure(code: "interview_stage_not_found", message: "Interview stage not found in the application's plan")
    }
    // Ashby's rule: a move to an `Archived` stage needs a real archive reason.
    if stage["type"] == "Archived" {
      guard let reasonID = p["archiveReasonId"]?.string else {
        return .failure(
          code: "invalid_input", message: "archiveReasonId is required when moving to an Archived interview stage")
      }
      guard let reason = data.archiveReasons.first(where: { $0["id"]?.string == reasonID }) else {
        return .failure(code: "archive_reason_not_found", message: "Archive reason not found")
      }
      if let email = p["archiveEmail"]?.object {
        guard data.communicationTemplates.contains(where: { $0["id"] == email["communicationTemplateId"] }) else {
          return .failure(code: "communication_template_not_found", message: "Communication template not found")
        }
        data.archiveEmails.append((p["applicationId"]?.string ?? "", email))
      }
      data.applications[i]["archiveReason"] = .object(reason)
    } else {
      data.applications[i]["archiveReason"] = nil
    }
    data.applications[i]["currentInterviewStage"] = .object(stage)
    data.applications[i]["status"] =
      stage["type"] == "Hired" ? "Hired" : (stage["type"] == "Archived" ? "Archived" : "Active")
    let now = FakeData.iso(Date())
    data.applications[i]["updatedAt"] = now
    recordMove(of: data.applications[i]["id"] ?? .null, to: stage, at: now)
    touch(data.applications[i]["id"])
    emit("candidateStageChange", ["application": .object(data.applications[i])])
    if stage["type"] == "Hired" { emit("candidateHire", ["application": .object(data.applications[i])]) }
    return .results(data.applications[i])
  }

  func scheduleCreate(_ p: JSONObject) -> FakeAnswer {
    guard let app = data.applications.first(where: { $0["id"] == p["applicationId"] }) else {
      return .failure(code: "application_not_found", message: "Application not found")
    }
    guard let events = p["interviewEvents"]?.array, !events.isEmpty else {
      return .failure(code: "invalid_input", message: "interviewEvents is required")
    }
    var out: [JSONValue] = []
    for (k, e) in events.enumerated() {
      guard let start = e["startTime"]?.string, let end = e["endTime"]?.string, start.hasSuffix("Z"), end.hasSuffix("Z")
      else {
        return .failure(code: "invalid_input", message: "startTime and endTime must be UTC ISO 8601")
      }
      let interviewers = e["interviewers"]?.array ?? []
      for person in interviewers {
        let email = person["email"]?.string?.lowercased() ?? ""
        guard data.users.contains(where: { $0["email"]?.string?.lowercased() == email }) else {
          return .failure(code: "invalid_input", message: "No Ashby user with email \(email)")
        }
      }
      out.append([
        "id": FakeData.id("evt", data.schedules.count * 10 + k), "startTime": .string(start), "endTime": .string(end),
        "interviewers": .array(interviewers), "extraData": e["extraData"] ?? [:],
      ])
    }
    let schedule: JSONObject = [
      "id": FakeData.id("sch", data.schedules.count), "applicationId": app["id"] ?? "",
      "interviewStageId": app["currentInterviewStage"]?["id"] ?? "", "status": "Scheduled",
      "interviewEvents": .array(out),
    ]
    data.schedules.append(schedule)
    emit("interviewScheduleCreate", ["interviewSchedule": .object(schedule)])
    return .results(schedule)
  }
}
