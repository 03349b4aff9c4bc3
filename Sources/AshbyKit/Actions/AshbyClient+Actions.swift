import AshbyJSON
import Foundation

extension AshbyClient {
  /// Runs one of the six actions by name, checking its parameters.
  public func perform(_ action: String, _ values: [String: JSONValue]) async throws(AshbyError) -> JSONValue {
    switch try await run(try Self.params(action, values)) {
    case .text(let raw): return raw.value
    case .value(let value): return value
    }
  }

  /// Runs an action whose parameters are already checked, with the result as
  /// JSON text. Single-call actions pass Ashby's text through undecoded, for
  /// the Lua bridge to decode straight into tables.
  public func performRaw(_ params: ActionParams) async throws(AshbyError) -> RawJSON {
    switch try await run(params) {
    case .text(let raw): return raw
    case .value(let value): return RawJSON(encoding: value)
    }
  }

  static func params(_ action: String, _ values: [String: JSONValue]) throws(AshbyError) -> ActionParams {
    guard let spec = Actions.spec(action) else {
      throw AshbyError.argument("action", "unknown action \"\(action)\"")
    }
    return try ActionParams(spec, values)
  }

  private func run(_ p: ActionParams) async throws(AshbyError) -> ActionSpec.Result {
    do {
      if configuration.dryRun, let plan = p.spec.plan { return .value(try await plan(self, p)) }
      let outcome = await WriteContext.$current.withValue(WriteContext(action: p.spec.name)) {
        () async -> Result<ActionSpec.Result, AshbyError> in
        do throws(AshbyError) { return .success(try await p.spec.body(self, p)) } catch { return .failure(error) }
      }
      return try outcome.get()
    } catch {
      throw error.within(action: p.spec.name)
    }
  }

  // MARK: advance_application

  func advanceApplication(_ p: ActionParams) async throws(AshbyError) -> JSONValue {
    let move = try await stageMove(p)
    let application = try await call("application.changeStage", .object(move.body))
    guard let note = p.string("note") else { return application }
    guard let candidateID = application["candidate"]?["id"]?.string ?? application["candidateId"]?.string else {
      throw AshbyError(
        .api, "the stage changed, but the response names no candidate to add the note to",
        endpoint: "application.changeStage", partial: true, result: application)
    }
    do {
      _ = try await call("candidate.createNote", Self.noteBody(candidate: candidateID, note: note))
    } catch {
      throw error.prefixed("the note failed").afterApplying(application, "the stage changed")
    }
    return application
  }

  /// The note `advance_application` adds.
  static func noteBody(candidate: String, note: String) -> JSONValue {
    ["candidateId": .string(candidate), "note": .string(note), "sendNotifications": false]
  }

  /// The `application.changeStage` body of a move, with every name resolved
  /// and the archive rule checked (a reason exactly when the target stage is
  /// of type `Archived`), before anything is written.
  func stageMove(_ p: ActionParams) async throws(AshbyError) -> (body: [String: JSONValue], stage: JSONValue) {
    let applicationID = p.string("application_id") ?? ""
    let stage: JSONValue
    if let id = p.string("stage_id") {
      stage = try await call("interviewStage.info", ["interviewStageId": .string(id)])
    } else {
      stage = try await resolveStage(p.string("stage") ?? "", application: applicationID)
    }
    let stageID = stage["id"]?.string ?? p.string("stage_id") ?? ""
    var body: [String: JSONValue] = ["applicationId": .string(applicationID), "interviewStageId": .string(stageID)]
    let title = stage["title"]?.string ?? stageID
    let reasons = { () async throws(AshbyError) -> [JSONValue] in
      try await self.resolver.list("archiveReasons") { () async throws(AshbyError) -> [JSONValue] in
        try await self.call("archiveReason.list", [:]).array ?? []
      }
    }
    guard stage["type"]?.string == "Archived" else {
      if let given = ["archive_reason", "archive_email"].first(where: { p[$0] != nil }) {
        throw AshbyError.argument(
          given,
          "\"\(given)\" is only for a move to a stage of type Archived; \"\(title)\" is of type \(stage["type"]?.string ?? "unknown")"
        )
      }
      return (body, stage)
    }
    guard let reason = p.string("archive_reason") else {
      let texts = try await reasons().filter { $0["isArchived"]?.bool != true }.compactMap { $0["text"]?.string }
      throw AshbyError.argument(
        "archive_reason",
        "\"\(title)\" is an Archived stage: give archive_reason, one of \(Resolver.choices(texts))")
    }
    body["archiveReasonId"] = .string(
      try Resolver.resolve(reason, among: try await reasons(), nameKey: "text", what: "archive reason",
        parameter: "archive_reason"))
    if let email = p["archive_email"] {
      let templates = try await resolver.list("templates") { () async throws(AshbyError) -> [JSONValue] in
        try await self.all("communicationTemplate.list", [:])
      }
      var archiveEmail: [String: JSONValue] = [
        "communicationTemplateId": .string(
          try Resolver.resolve(
            email["template"]?.string ?? "", among: templates, nameKey: "title", what: "communication template",
            parameter: "archive_email.template"))
      ]
      if let sendAt = email["send_at"]?.string, let utc = Timestamps.utc(sendAt) {
        archiveEmail["sendAt"] = .string(utc)
      }
      body["archiveEmail"] = .object(archiveEmail)
    }
    return (body, stage)
  }

  /// The stage titled `title` in the application's interview plan.
  func resolveStage(_ title: String, application: String) async throws(AshbyError) -> JSONValue {
    let info = try await call("application.info", ["applicationId": .string(application)])
    // What a stage change changes, as it was: the audit log's before-image.
    WriteContext.current?.noteTarget(info, before: WriteTargets.applicationStage(info))
    guard let plan = info["currentInterviewStage"]?["interviewPlanId"]?.string ?? info["interviewPlanId"]?.string
    else {
      throw AshbyError(.api, "application \(application) has no interview plan", endpoint: "application.info")
    }
    let stages = try await resolver.list("stages:\(plan)") { () async throws(AshbyError) -> [JSONValue] in
      try await self.call("interviewStage.list", ["interviewPlanId": .string(plan)]).array ?? []
    }
    let id = try Resolver.resolve(title, among: stages, nameKey: "title", what: "stage", parameter: "stage")
    return stages.first { $0["id"]?.string == id } ?? ["id": .string(id)]
  }

  // MARK: create_application

  func createApplication(_ p: ActionParams) async throws(AshbyError) -> JSONValue {
    let application = try await call("application.create", .object(try await applicationBody(p)))
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

  /// The `application.create` body, the source's name resolved.
  func applicationBody(_ p: ActionParams) async throws(AshbyError) -> [String: JSONValue] {
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
    return body
  }

  // MARK: create_candidate

  func createCandidate(_ p: ActionParams) async throws(AshbyError) -> JSONValue {
    let (body, uploadFrom) = Self.candidateBody(p)
    let candidate = try await call("candidate.create", .object(body))
    guard let uploadFrom, let id = candidate["id"]?.string else { return candidate }
    do {
      return try await uploadResume(from: uploadFrom, candidate: id)
    } catch {
      throw error.prefixed("the resume upload failed").afterApplying(candidate, "the candidate was created")
    }
  }

  /// The `candidate.create` body, and the resume to upload after it (a LinkedIn or GitHub URL is a link
  /// in the body instead).
  static func candidateBody(_ p: ActionParams) -> (body: [String: JSONValue], uploadFrom: String?) {
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
    return (body, uploadFrom)
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
    try await callRaw("interviewSchedule.create", try Self.interviewBody(p))
  }

  /// The `interviewSchedule.create` body, times in UTC.
  static func interviewBody(_ p: ActionParams) throws(AshbyError) -> JSONValue {
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
    return ["applicationId": .string(p.string("application_id") ?? ""), "interviewEvents": [.object(event)]]
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
