import AshbyJSON

/// An endpoint the fake models: how faithfully (for docs/fake.md) and its answer to a request's
/// params (called with the store's lock held).
struct FakeEndpoint: Sendable {
  let note: String
  let handle: @Sendable (FakeStore, JSONObject) -> FakeAnswer
}

extension FakeStore {
  /// Endpoints Ashby has that its OpenAPI description leaves out: the resume upload's first step.
  static let beyondCatalog: Set<String> = ["file.createFileUploadHandle"]

  /// Every endpoint the fake models, by its catalog name: the one table the fake answers from and
  /// docs/fake.md is generated from (a test checks both). Every other catalog endpoint answers
  /// `invalid_input` ("does not model"), and a name Ashby does not have is a 404.
  static let endpoints: [String: FakeEndpoint] = [
    // Jobs and the organisation
    "job.list": .init(note: "cursor pages, sync tokens; `status` and the opened/closed time filters (milliseconds)") {
      s, p in s.jobList(p)
    },
    "job.info": .init(note: "by `id`") { s, p in s.find(s.data.jobs, p["id"], code: "job_not_found", what: "job") },
    "jobPosting.list": .init(note: "one posting per job; `location`, `department` (names) and `listedOnly` filter") {
      s, p in s.jobPostings(p)
    },
    "jobInterviewPlan.info": .init(note: "the job's default plan and its stages") { s, p in s.jobInterviewPlan(p) },
    "department.list": .init(note: "cursor pages") { s, p in s.page(s.data.departments, p) },
    "location.list": .init(note: "cursor pages") { s, p in s.page(s.data.locations, p) },
    "source.list": .init(note: "all at once") { s, _ in .results(s.data.sources, extra: ["moreDataAvailable": false]) },
    "archiveReason.list": .init(note: "all at once") { s, _ in
      .results(s.data.archiveReasons, extra: ["moreDataAvailable": false])
    },
    "user.list": .init(note: "cursor pages; `includeDeactivated`") { s, p in s.page(s.data.users, p) },
    "user.search": .init(note: "by `email`, any case") { s, p in
      let email = p["email"]?.string?.lowercased() ?? ""
      return .results(s.data.users.filter { $0["email"]?.string?.lowercased() == email })
    },
    "customField.list": .init(note: "cursor pages") { s, p in s.page(s.data.customFields, p) },
    "candidateTag.list": .init(note: "all at once; `includeArchived`") { s, p in
      let tags = p["includeArchived"] == true ? s.data.tags : s.data.tags.filter { $0["isArchived"] != true }
      return .results(tags, extra: ["moreDataAvailable": false])
    },
    "communicationTemplate.list": .init(note: "cursor pages") { s, p in s.page(s.data.communicationTemplates, p) },
    // Candidates
    "candidate.list": .init(note: "cursor pages, sync tokens (a created or changed candidate comes again)") { s, p in
      s.page(s.data.candidates, p)
    },
    "candidate.info": .init(note: "by `id`") { s, p in
      s.find(s.data.candidates, p["id"], code: "candidate_not_found", what: "candidate")
    },
    "candidate.search": .init(note: "by `email` (exact, any case) and `name` (part), at most 100") { s, p in
      s.candidateSearch(p)
    },
    "candidate.create": .init(note: "name, email, phone, LinkedIn and GitHub links") { s, p in s.candidateCreate(p) },
    "candidate.createNote": .init(note: "plain or `{ type, value }` notes; listed by `candidate.listNotes`") { s, p in
      s.createNote(p)
    },
    "candidate.listNotes": .init(note: "the candidate's notes, oldest first, cursor pages") { s, p in s.listNotes(p) },
    "candidate.uploadResume": .init(note: "a handle whose file arrived at the upload URL") { s, p in s.uploadResume(p) },
    "file.createFileUploadHandle": .init(note: "`CandidateResume` only; the URL takes a multipart POST") { s, p in
      s.uploadHandle(p)
    },
    // Applications
    "application.list": .init(note: "cursor pages, sync tokens; `createdAfter` (milliseconds)") { s, p in
      s.timeFiltered("application.list", s.data.applications, p)
    },
    "application.info": .init(note: "by `applicationId`") { s, p in
      s.find(s.data.applications, p["applicationId"], code: "application_not_found", what: "application")
    },
    "application.listHistory": .init(
      note: "every stage the application was in, with when it entered and left; kept for every move the fake makes"
    ) { s, p in s.listHistory(p) },
    "application.create": .init(note: "in the job's first stage, with a source; sends `applicationSubmit`") { s, p in
      s.applicationCreate(p)
    },
    "application.changeStage": .init(
      note:
        "within the application's plan; Archived needs a real archive reason (and a real template for an `archiveEmail`); sends `candidateStageChange`, and `candidateHire` for Hired"
    ) { s, p in s.changeStage(p) },
    "offer.list": .init(note: "one offer per application that reached Offer; `applicationId` filters") { s, p in
      s.offers(p)
    },
    // Interviews
    "interview.list": .init(note: "the interview kinds of the plans, cursor pages; `includeArchived`") { s, p in
      s.page(p["includeArchived"] == true ? s.data.interviews : s.data.interviews.filter { $0["isArchived"] != true }, p)
    },
    "interviewStage.list": .init(note: "a plan's stages in order") { s, p in
      guard let stages = s.data.plans[p["interviewPlanId"] ?? .null] else {
        return .failure(code: "interview_plan_not_found", message: "Interview plan not found")
      }
      return .results(stages, extra: ["moreDataAvailable": false])
    },
    "interviewStage.info": .init(note: "by `interviewStageId`") { s, p in
      guard let stage = s.data.plans.values.joined().first(where: { $0["id"] == p["interviewStageId"] }) else {
        return .failure(code: "interview_stage_not_found", message: "Interview stage not found")
      }
      return .results(stage)
    },
    "interviewSchedule.create": .init(note: "UTC times, interviewers who are users; sends `interviewScheduleCreate`") {
      s, p in s.scheduleCreate(p)
    },
    "interviewSchedule.list": .init(note: "cursor pages; `applicationId` filters") { s, p in
      let all = s.data.schedules
      return s.page(p["applicationId"].map { id in all.filter { $0["applicationId"] == id } } ?? all, p)
    },
    // Webhooks
    "webhook.create": .init(note: "a URL and a secret per event type; events are POSTed, signed, and retried as Ashby does") {
      s, p in s.webhookCreate(p)
    },
    "webhook.info": .init(note: "never shows the secret") { s, p in s.webhookInfo(p) },
    "webhook.update": .init(note: "`enabled`, `requestUrl`, `secretToken`") { s, p in s.webhookUpdate(p) },
    "webhook.delete": .init(note: "by `webhookId`") { s, p in s.webhookDelete(p) },
  ]

  /// docs/fake.md: what the fake answers and how, from the table above.
  static func markdown() -> String {
    let rows = endpoints.keys.sorted().map { name -> String in
      let note = endpoints[name]?.note ?? ""
      return "| `\(name)` | \(note.replacingOccurrences(of: "|", with: "\\|")) |"
    }
    return """
      # What the fake Ashby answers

      Generated from the fake's own table (`Sources/AshbyFake/FakeEndpoints.swift`); a test fails when
      this file and the table differ (`ASHBY_WRITE_DOCS=1 swift test --filter FakeReadsTests` writes it).

      The fake speaks Ashby's contract (shared/ashby-api.md): Basic auth with its keys, `POST /<endpoint>`,
      the `success`/`errorInfo` envelope with HTTP 200 for API errors, 401/403/429, required fields
      checked from the endpoint catalog, cursor pages and sync tokens, a sliding-window rate limit, API
      version headers, and webhooks signed and retried as Ashby retries them. Its data is seeded (the
      same on every machine) and shaped like a mid-size account. Every other endpoint of the catalog
      answers `invalid_input` ("The fake Ashby does not model …"); a name Ashby does not have is a 404.

      | Endpoint | What the fake does |
      | --- | --- |
      \(rows.joined(separator: "\n"))

      """
  }
}
