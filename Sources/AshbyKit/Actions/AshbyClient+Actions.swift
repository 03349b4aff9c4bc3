import AshbyJSON
import Foundation

extension AshbyClient {
  /// Runs one of the six actions by name, with checked parameters.
  public func perform(_ action: String, _ values: [String: JSONValue]) async throws(AshbyError) -> JSONValue {
    switch try await run(action, values) {
    case .text(let raw): return raw.value
    case .value(let value): return value
    }
  }

  /// `perform`, with the result as JSON text. Single-call actions pass Ashby's
  /// text through undecoded, for the Lua bridge to decode straight into tables.
  public func performRaw(_ action: String, _ values: [String: JSONValue]) async throws(AshbyError) -> RawJSON {
    switch try await run(action, values) {
    case .text(let raw): return raw
    case .value(let value): return RawJSON(encoding: value)
    }
  }

  private enum ActionResult {
    case text(RawJSON)
    case value(JSONValue)
  }

  private func run(_ action: String, _ values: [String: JSONValue]) async throws(AshbyError) -> ActionResult {
    guard let spec = Actions.spec(action) else {
      throw AshbyError.argument("action", "unknown action \"\(action)\"")
    }
    let p = try ActionParams(spec, values)
    do {
      if configuration.dryRun && Self.writeActions.contains(action) { return .value(try await planAction(p)) }
      switch action {
      case "advance_application": return .value(try await advanceApplication(p))
      case "create_application": return .value(try await createApplication(p))
      case "create_candidate": return .value(try await createCandidate(p))
      case "get_job": return .text(try await callRaw("job.info", ["id": .string(p.string("job_id") ?? "")]))
      case "list_jobs": return .value(try await listJobs(p))
      default: return .text(try await scheduleInterview(p))
      }
    } catch {
      throw error.within(action: action)
    }
  }

  // MARK: advance_application

  func advanceApplication(_ p: ActionParams) async throws(AshbyError) -> JSONValue {
    let applicationID = p.string("application_id") ?? ""
    let stageID: String
    if let id = p.string("stage_id") {
      stageID = id
    } else {
      stageID = try await resolveStage(p.string("stage") ?? "", application: applicationID)
    }
    let application = try await call(
      "application.changeStage", ["applicationId": .string(applicationID), "interviewStageId": .string(stageID)])
    guard let note = p.string("note") else { return application }
    guard let candidateID = application["candidate"]?["id"]?.string ?? application["candidateId"]?.string else {
      throw AshbyError(
        .api, "the stage changed, but the response names no candidate to add the note to",
        endpoint: "application.changeStage", partial: true, result: application)
    }
    do {
      _ = try await call(
        "candidate.createNote",
        ["candidateId": .string(candidateID), "note": .string(note), "sendNotifications": false])
    } catch {
      throw error.prefixed("the note failed").afterApplying(application, "the stage changed")
    }
    return application
  }

  /// The id of the stage titled `title` in the application's interview plan.
  func resolveStage(_ title: String, application: String) async throws(AshbyError) -> String {
    let info = try await call("application.info", ["applicationId": .string(application)])
    guard let plan = info["currentInterviewStage"]?["interviewPlanId"]?.string ?? info["interviewPlanId"]?.string
    else {
      throw AshbyError(.api, "application \(application) has no interview plan", endpoint: "application.info")
    }
    let stages = try await resolver.list("stages:\(plan)") { () async throws(AshbyError) -> [JSONValue] in
      try await self.call("interviewStage.list", ["interviewPlanId": .string(plan)]).array ?? []
    }
    return try Resolver.resolve(title, among: stages, nameKey: "title", what: "stage", parameter: "stage")
  }

  // MARK: create_application

  func createApplication(_ p: ActionParams) async throws(AshbyError) -> JSONValue {
    var body: [String: JSONValue] = [
      "jobId": .string(p.string("job_id") ?? ""), "candidateId": .string(p.string("candidate_id") ?? ""),
    ]
    if let source = p.string("source") {
      let sources = try await resolver.list("sources") { () async throws(AshbyError) -> [JSONValue] in
        try await self.call("source.list", [:]).array ?? []
      }
      body["sourceId"] = .string(
        try Resolver.resolve(source, among: sources, nameKey: "title", what: "source", parameter: "source"))
    }
    let application = try await call("application.create", .object(body))
    guard let resumeURL = p.string("resume_url"), let candidateID = p.string("candidate_id") else { return application }
    do {
      let candidate = try await call("candidate.info", ["id": .string(candidateID)])
      if candidate["resumeFileHandle"] == nil || candidate["resumeFileHandle"] == .null {
        try await uploadResume(from: resumeURL, candidate: candidateID)
      }
    } catch {
      throw error.prefixed("the resume upload failed").afterApplying(application, "the application was created")
    }
    return application
  }

  // MARK: create_candidate

  func createCandidate(_ p: ActionParams) async throws(AshbyError) -> JSONValue {
    var body: [String: JSONValue] = [
      "name": .string("\(p.string("first_name") ?? "") \(p.string("last_name") ?? "")"),
      "email": .string(p.string("email") ?? ""),
    ]
    if let phone = p.string("phone") { body["phoneNumber"] = .string(phone) }
    var uploadFrom: String?
    if let url = p.string("resume_url") {
      switch ProfileLink.kind(of: url) {
      case .linkedIn: body["linkedInUrl"] = .string(url)
      case .gitHub: body["githubUrl"] = .string(url)
      case .other: uploadFrom = url
      }
    }
    let candidate = try await call("candidate.create", .object(body))
    guard let uploadFrom, let id = candidate["id"]?.string else { return candidate }
    do {
      return try await uploadResume(from: uploadFrom, candidate: id)
    } catch {
      throw error.prefixed("the resume upload failed").afterApplying(candidate, "the candidate was created")
    }
  }

  // MARK: list_jobs

  static let jobStatuses = ["open": "Open", "closed": "Closed", "archived": "Archived", "draft": "Draft"]

  func listJobs(_ p: ActionParams) async throws(AshbyError) -> JSONValue {
    var body: [String: JSONValue] = [:]
    if let status = p["status"] {
      let words = status.array?.compactMap(\.string) ?? [status.string ?? ""]
      var statuses: [JSONValue] = []
      for word in words {
        guard let s = Self.jobStatuses[word.lowercased()] else {
          throw AshbyError.argument(
            "status", "unknown job status \"\(word)\"; choices: open, closed, archived, draft", action: "list_jobs")
        }
        statuses.append(.string(s))
      }
      body["status"] = .array(statuses)
    }
    let departmentID = try await resolveListed(p.string("department"), list: "department.list", what: "department")
    let locationID = try await resolveListed(p.string("location"), list: "location.list", what: "location")
    var jobs: [JSONValue] = []
    let pages = self.pages("job.list", body)
    while let job = try await pages.next() {
      if let departmentID, job["departmentId"]?.string != departmentID { continue }
      if let locationID, job["locationId"]?.string != locationID { continue }
      jobs.append(job)
    }
    return ["jobs": .array(jobs)]
  }

  private func resolveListed(_ input: String?, list endpoint: String, what: String) async throws(AshbyError)
    -> String?
  {
    guard let input else { return nil }
    let items = try await resolver.list(endpoint) { () async throws(AshbyError) -> [JSONValue] in
      try await self.all(endpoint, [:])
    }
    return try Resolver.resolve(input, among: items, nameKey: "name", what: what, parameter: what)
  }

  // MARK: schedule_interview

  func scheduleInterview(_ p: ActionParams) async throws(AshbyError) -> RawJSON {
    let start = Timestamps.parse(p.string("start_time") ?? "")
    let end = Timestamps.parse(p.string("end_time") ?? "")
    guard let start, let end else {  // ActionParams checked both, and their order
      throw AshbyError.argument(
        "start_time", "times must be ISO 8601 with Z or an offset", action: "schedule_interview")
    }
    var event: [String: JSONValue] = [
      "startTime": .string(Timestamps.format(start)),
      "endTime": .string(Timestamps.format(end)),
      "interviewers": [["email": .string(p.string("interviewer_email") ?? ""), "feedbackRequired": true]],
    ]
    if let location = p.string("location") { event["extraData"] = ["location": .string(location)] }
    return try await callRaw(
      "interviewSchedule.create",
      ["applicationId": .string(p.string("application_id") ?? ""), "interviewEvents": [.object(event)]])
  }
}

/// LinkedIn and GitHub profile URLs are links, not resumes.
enum ProfileLink {
  enum Kind { case linkedIn, gitHub, other }
  static func kind(of url: String) -> Kind {
    let host = URL(string: url)?.host?.lowercased() ?? ""
    if host == "linkedin.com" || host.hasSuffix(".linkedin.com") { return .linkedIn }
    if host == "github.com" || host == "www.github.com" { return .gitHub }
    return .other
  }
}
