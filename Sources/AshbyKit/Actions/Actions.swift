/// The six actions, as DESIGN.md §2 describes them.
public enum Actions {
  public static let advanceApplication = ActionSpec(
    name: "advance_application",
    summary: "Move an application to another interview stage, optionally leaving a note on the candidate.",
    parameters: [
      .required("application_id", .id, "The application to move."),
      .optional("stage_id", .id, "The target interview stage's id."),
      .optional("stage", .string, "The target stage's title in the application's interview plan (case-insensitive)."),
      .optional("note", .string, "A note added to the candidate after the move."),
      .optional(
        "archive_reason", .string,
        "Required for a stage of type Archived (a rejection), refused for any other: an archive reason's text or id (see archiveReason.list)."
      ),
      .table(
        "archive_email", "With archive_reason: a rejection email to schedule.",
        fields: [
          .required("template", .string, "A communication template's title or id (see communicationTemplate.list)."),
          .optional("send_at", .time, "When to send it (ISO 8601); Ashby's default is the next morning."),
        ]),
    ],
    oneOf: [["stage_id", "stage"]],
    endpoints: [
      "application.changeStage", "application.info", "interviewStage.list", "interviewStage.info",
      "archiveReason.list", "communicationTemplate.list", "candidate.createNote",
    ],
    permissions: ["candidatesWrite", "candidatesRead", "interviewsRead", "hiringProcessMetadataRead"],
    returns: "Application",
    example: #"ashby.advance_application{ application_id = app.id, stage = "Archived", archive_reason = "Not a fit" }"#,
    body: { client, p throws(AshbyError) in .value(try await client.advanceApplication(p)) },
    plan: { client, p throws(AshbyError) in try await client.planAdvance(p) })

  public static let createApplication = ActionSpec(
    name: "create_application",
    summary: "Consider a candidate for a job.",
    parameters: [
      .required("job_id", .id, "The job."),
      .required("candidate_id", .id, "The candidate."),
      .optional("source", .string, "A source title or id (see source.list)."),
      .optional("resume_url", .url, "Uploaded as the candidate's resume if they have none yet."),
    ],
    endpoints: [
      "application.create", "source.list", "candidate.info", "file.createFileUploadHandle", "candidate.uploadResume",
    ],
    permissions: ["candidatesWrite", "hiringProcessMetadataRead", "candidatesRead"],
    returns: "Application",
    example: #"ashby.create_application{ job_id = job.id, candidate_id = c.id, source = "Referral" }"#,
    body: { client, p throws(AshbyError) in .value(try await client.createApplication(p)) },
    plan: { client, p throws(AshbyError) in try await client.planCreateApplication(p) })

  public static let createCandidate = ActionSpec(
    name: "create_candidate",
    summary: "Create a candidate.",
    parameters: [
      .required("first_name", .string, "Given name."),
      .required("last_name", .string, "Family name."),
      .required("email", .email, "Primary email address."),
      .optional("phone", .string, "Phone number."),
      .optional(
        "resume_url", .url,
        "A LinkedIn or GitHub profile becomes linkedInUrl/githubUrl; any other URL is fetched and uploaded as the resume."
      ),
    ],
    endpoints: ["candidate.create", "file.createFileUploadHandle", "candidate.uploadResume"],
    permissions: ["candidatesWrite"],
    returns: "Candidate",
    example: #"ashby.create_candidate{ first_name = "Ada", last_name = "Lovelace", email = "ada@example.com" }"#,
    body: { client, p throws(AshbyError) in .value(try await client.createCandidate(p)) },
    plan: { client, p throws(AshbyError) in client.planCreateCandidate(p) })

  public static let getJob = ActionSpec(
    name: "get_job",
    summary: "Fetch one job.",
    parameters: [.required("job_id", .id, "The job's id.")],
    positional: "job_id",
    endpoints: ["job.info"],
    permissions: ["jobsRead"],
    returns: "Job",
    example: #"local job = ashby.get_job("4a6e7c1e-...")  -- or ashby.get_job{ job_id = "..." }"#,
    body: { client, p throws(AshbyError) in
      .text(try await client.callRaw("job.info", ["id": .string(p.string("job_id") ?? "")]))
    },
    plan: nil)

  public static let listJobs = ActionSpec(
    name: "list_jobs",
    summary: "List jobs across every page, optionally filtered.",
    parameters: [
      .optional("status", .stringOrList, "open, closed, archived or draft (any case), or a list of them."),
      .optional("department", .string, "A department name or id."),
      .optional("location", .string, "A location name or id."),
    ],
    endpoints: ["job.list", "department.list", "location.list"],
    permissions: ["jobsRead", "organizationRead"],
    returns: "JobList",
    example: #"for _, job in ipairs(ashby.list_jobs{ status = "open" }.jobs) do print(job.title) end"#,
    body: { client, p throws(AshbyError) in .value(try await client.listJobs(p)) },
    plan: nil)

  public static let scheduleInterview = ActionSpec(
    name: "schedule_interview",
    summary: "Schedule one interview event with one interviewer.",
    parameters: [
      .required("application_id", .id, "The application the interview belongs to."),
      .required("start_time", .time, "ISO 8601 with Z or an offset, e.g. 2026-03-02T15:00:00+01:00."),
      .required("end_time", .time, "ISO 8601 with Z or an offset; after start_time."),
      .required("interviewer_email", .email, "An Ashby user's email."),
      .optional("location", .string, "Where; sent in the event's extraData.location."),
    ],
    endpoints: ["interviewSchedule.create"],
    permissions: ["interviewsWrite"],
    returns: "InterviewSchedule",
    example:
      #"ashby.schedule_interview{ application_id = app.id, start_time = "2026-03-02T15:00:00Z", end_time = "2026-03-02T16:00:00Z", interviewer_email = "lee@example.com" }"#,
    body: { client, p throws(AshbyError) in .text(try await client.scheduleInterview(p)) },
    plan: { client, p throws(AshbyError) in try client.planScheduleInterview(p) })

  public static let all: [ActionSpec] = [
    advanceApplication, createApplication, createCandidate, getJob, listJobs, scheduleInterview,
  ]

  public static func spec(_ name: String) -> ActionSpec? { all.first { $0.name == name } }
}
