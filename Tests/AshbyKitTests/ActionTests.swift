import AshbyJSON
import AshbyFake
import Foundation
import Testing

@testable import AshbyKit
import AshbyTestSupport

@Suite(.teardown) struct ActionTests {
  @Test func getJobHappyPathAndNotFound() async throws {
    let h = try await Harness.start()
    onTeardown { await h.stop() }
    let id = h.fake.seedIDs("job")[3]
    let job = try await h.client.perform("get_job", ["job_id": .string(id)])
    #expect(job["id"]?.string == id)
    #expect(job["title"]?.string != nil)
    let request = try #require(h.fake.requests(to: "job.info").last)
    #expect(request.json["id"]?.string == id)
    let e = await expectAshbyError { _ = try await h.client.perform("get_job", ["job_id": "nope"]) }
    #expect(e?.kind == .notFound)
    #expect(e?.code == "job_not_found")
    #expect(e?.action == "get_job")
    #expect(e?.endpoint == "job.info")
    #expect(e?.requestId != nil)
  }

  @Test func listJobsFollowsEveryPageAndFilters() async throws {
    let h = try await Harness.start()
    onTeardown { await h.stop() }
    let all = try await h.client.perform("list_jobs", [:])
    let jobs = all["jobs"]?.array ?? []
    #expect(jobs.count > 100)
    #expect(!jobs.contains { $0["status"]?.string == "Draft" })
    #expect(h.fake.requests(to: "job.list").first?.json["status"] == nil)
    h.fake.clearLog()
    let open = try await h.client.perform(
      "list_jobs", ["status": "OPEN", "department": "engineering", "location": "london"])
    let openJobs = open["jobs"]?.array ?? []
    #expect(!openJobs.isEmpty)
    #expect(openJobs.allSatisfy { $0["status"]?.string == "Open" })
    let eng = h.fake.seedIDs("department")[0]
    #expect(openJobs.allSatisfy { $0["departmentId"]?.string == eng })
    #expect(openJobs.allSatisfy { $0["locationId"]?.string == h.fake.seedIDs("location")[2] })
    #expect(h.fake.requests(to: "job.list").first?.json["status"] == ["Open"])
    let several = try await h.client.perform("list_jobs", ["status": ["draft", "Closed"]])
    #expect(Set((several["jobs"]?.array ?? []).compactMap { $0["status"]?.string }) == ["Draft", "Closed"])
    let bad = await expectAshbyError { _ = try await h.client.perform("list_jobs", ["status": "opened"]) }
    #expect(bad?.kind == .argument)
    #expect(bad?.parameter == "status")
    #expect(bad?.message.contains("open, closed, archived, draft") == true)
    let unknown = await expectAshbyError { _ = try await h.client.perform("list_jobs", ["department": "Astrology"]) }
    #expect(unknown?.kind == .argument)
    #expect(unknown?.message.contains("\"Engineering\"") == true)
  }

  @Test func createCandidateSendsCamelCaseAndProfileLinks() async throws {
    let h = try await Harness.start()
    onTeardown { await h.stop() }
    let c = try await h.client.perform(
      "create_candidate",
      [
        "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "phone": "+44 20 1234",
        "resume_url": "https://www.linkedin.com/in/ada",
      ])
    #expect(c["name"]?.string == "Ada Lovelace")
    let body = try #require(h.fake.requests(to: "candidate.create").last).json
    #expect(body["name"]?.string == "Ada Lovelace")
    #expect(body["email"]?.string == "ada@example.com")
    #expect(body["phoneNumber"]?.string == "+44 20 1234")
    #expect(body["linkedInUrl"]?.string == "https://www.linkedin.com/in/ada")
    #expect(h.fake.count("file.createFileUploadHandle") == 0)
  }

  @Test func createCandidateUploadsAResumeWithoutSendingTheKeyElsewhere() async throws {
    let h = try await Harness.start()
    onTeardown { await h.stop() }
    let url = "\(h.fake.baseURL.absoluteString)/_files/redirect"
    let c = try await h.client.perform(
      "create_candidate",
      ["first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com", "resume_url": .string(url)])
    let id = try #require(c["id"]?.string)
    #expect(c["resumeFileHandle"]?["name"]?.string == "resume.pdf")
    #expect(h.fake.hasResume(candidate: id))
    #expect(h.fake.count("file.createFileUploadHandle") == 1)
    #expect(h.fake.count("candidate.uploadResume") == 1)
    let foreign = h.fake.requests.filter { $0.endpoint == "_files" || $0.endpoint == "_upload" }
    #expect(foreign.count == 3)  // redirect, file, upload
    #expect(foreign.allSatisfy { $0.authorization == nil })
  }

  @Test func resumeProblemsAreClearAndPartial() async throws {
    let h = try await Harness.start { $0.maxResumeBytes = 1 << 20 }
    onTeardown { await h.stop() }
    let big = "\(h.fake.baseURL.absoluteString)/_files/big"
    let e = await expectAshbyError {
      _ = try await h.client.perform(
        "create_candidate",
        ["first_name": "Big", "last_name": "File", "email": "big@example.com", "resume_url": .string(big)])
    }
    #expect(e?.partial == true)
    #expect(e?.result?["name"]?.string == "Big File")
    #expect(e?.message.contains("larger than") == true)
    let ftp = await expectAshbyError {
      _ = try await h.client.perform(
        "create_candidate",
        ["first_name": "A", "last_name": "B", "email": "ab@example.com", "resume_url": "ftp://x.org/cv.pdf"])
    }
    #expect(ftp?.kind == .argument)
    #expect(ftp?.parameter == "resume_url")
  }

  @Test func createApplicationResolvesSourceAndUploadsResumeOnlyWhenMissing() async throws {
    let h = try await Harness.start()
    onTeardown { await h.stop() }
    let candidates = h.fake.seedIDs("candidate")
    let job = h.fake.seedIDs("job")[0]
    let url = "\(h.fake.baseURL.absoluteString)/_files/resume.pdf"
    // Candidate 0 already has a resume (every third seed candidate does); candidate 1 has none.
    _ = try await h.client.perform(
      "create_application",
      [
        "job_id": .string(job), "candidate_id": .string(candidates[0]), "source": "referral",
        "resume_url": .string(url),
      ])
    #expect(h.fake.count("candidate.uploadResume") == 0)
    let app = try await h.client.perform(
      "create_application",
      ["job_id": .string(job), "candidate_id": .string(candidates[1]), "resume_url": .string(url)])
    #expect(app["job"]?["id"]?.string == job)
    #expect(h.fake.count("candidate.uploadResume") == 1)
    #expect(h.fake.count("source.list") == 1)
    let body = try #require(h.fake.requests(to: "application.create").first).json
    #expect(body["sourceId"]?.string != nil)
    #expect(body["candidateId"]?.string == candidates[0])
    let e = await expectAshbyError {
      _ = try await h.client.perform("create_application", ["job_id": .string(job), "candidate_id": "missing"])
    }
    #expect(e?.kind == .notFound)
    let noJob = await expectAshbyError {
      _ = try await h.client.perform(
        "create_application", ["job_id": "job-missing", "candidate_id": .string(candidates[2])])
    }
    #expect(noJob?.code == "job_not_found")
    let s = await expectAshbyError {
      _ = try await h.client.perform(
        "create_application", ["job_id": .string(job), "candidate_id": .string(candidates[2]), "source": "Billboard"])
    }
    #expect(s?.kind == .argument)
    #expect(s?.message.contains("\"Referral\"") == true)
  }

  @Test func advanceApplicationByStageNameWithANote() async throws {
    let h = try await Harness.start()
    onTeardown { await h.stop() }
    let app = h.fake.seedIDs("application")[5]
    let result = try await h.client.perform(
      "advance_application", ["application_id": .string(app), "stage": "onsite", "note": "Great screen"])
    #expect(result["currentInterviewStage"]?["title"]?.string == "Onsite")
    #expect(h.fake.stageTitle(ofApplication: app) == "Onsite")
    #expect(h.fake.noteCount == 1)
    #expect(h.fake.requests(to: "candidate.createNote").first?.json["note"]?.string == "Great screen")
    let unknown = await expectAshbyError {
      _ = try await h.client.perform("advance_application", ["application_id": .string(app), "stage": "Final Boss"])
    }
    #expect(unknown?.kind == .argument)
    #expect(unknown?.parameter == "stage")
    #expect(unknown?.message.contains("\"Phone Screen\"") == true)
    let both = await expectAshbyError {
      _ = try await h.client.perform(
        "advance_application", ["application_id": .string(app), "stage": "Offer", "stage_id": "x"])
    }
    #expect(both?.kind == .argument)
    let wrongStage = await expectAshbyError {
      _ = try await h.client.perform("advance_application", ["application_id": .string(app), "stage_id": "stg-nope"])
    }
    #expect(wrongStage?.code == "interview_stage_not_found")
    let archived = await expectAshbyError {
      _ = try await h.client.perform("advance_application", ["application_id": .string(app), "stage": "Archived"])
    }
    #expect(archived?.kind == .argument)  // refused before any write: RejectionTests has the rest
    #expect(archived?.parameter == "archive_reason")
    let stage = try #require(h.fake.seedIDs("stage").first)
    let missing = await expectAshbyError {
      _ = try await h.client.perform("advance_application", ["application_id": "app-nope", "stage_id": .string(stage)])
    }
    #expect(missing?.kind == .notFound)
    #expect(missing?.code == "application_not_found")
  }

  @Test func aFailedNoteIsAPartialSuccess() async throws {
    let h = try await Harness.start()
    onTeardown { await h.stop() }
    h.fake.setFaults([FakeFault(.serverError, endpoint: "candidate.createNote", count: 1)])
    let app = h.fake.seedIDs("application")[7]
    let e = await expectAshbyError {
      _ = try await h.client.perform(
        "advance_application", ["application_id": .string(app), "stage": "Offer", "note": "n"])
    }
    #expect(e?.partial == true)
    #expect(e?.kind == .ambiguous)
    #expect(e?.result?["currentInterviewStage"]?["title"]?.string == "Offer")
    #expect(h.fake.stageTitle(ofApplication: app) == "Offer")
  }

  @Test func scheduleInterviewSendsUTCAndLocationInExtraData() async throws {
    let h = try await Harness.start()
    onTeardown { await h.stop() }
    let app = h.fake.seedIDs("application")[0]
    let s = try await h.client.perform(
      "schedule_interview",
      [
        "application_id": .string(app), "start_time": "2026-03-02T15:00:00+01:00",
        "end_time": "2026-03-02T16:30:00+01:00",
        "interviewer_email": "lee@example.com", "location": "Room 4",
      ])
    #expect(s["interviewEvents"]?.array?.count == 1)
    let body = try #require(h.fake.requests(to: "interviewSchedule.create").first).json
    let event = try #require(body["interviewEvents"]?.array?.first)
    #expect(event["startTime"]?.string == "2026-03-02T14:00:00.000Z")
    #expect(event["endTime"]?.string == "2026-03-02T15:30:00.000Z")
    #expect(event["extraData"]?["location"]?.string == "Room 4")
    let interviewers = event["interviewers"]?.array
    #expect(interviewers?.first?["email"]?.string == "lee@example.com")
    #expect(interviewers?.first?["feedbackRequired"]?.bool == true)
  }

  @Test(
    arguments: [
      (["start_time": "2026-03-02T15:00:00", "end_time": "2026-03-02T16:00:00Z"], "start_time"),
      (["start_time": "2026-03-02T16:00:00Z", "end_time": "2026-03-02T15:00:00Z"], "end_time"),
      (["start_time": "2026-03-02T16:00:00Z", "end_time": "2026-03-02T16:00:00Z"], "end_time"),
      (["start_time": "tomorrow", "end_time": "2026-03-02T16:00:00Z"], "start_time"),
    ] as [([String: String], String)])
  func scheduleInterviewRejectsBadTimesBeforeAnyRequest(times: [String: String], parameter: String) async throws {
    let h = try await Harness.start()
    onTeardown { await h.stop() }
    var params: [String: JSONValue] = ["application_id": "a", "interviewer_email": "lee@example.com"]
    for (k, v) in times { params[k] = .string(v) }
    let e = await expectAshbyError { _ = try await h.client.perform("schedule_interview", params) }
    #expect(e?.kind == .argument)
    #expect(e?.parameter == parameter)
    #expect(h.fake.requests.isEmpty)
  }

  @Test func scheduleInterviewWithAnUnknownInterviewerIsAnAPIError() async throws {
    let h = try await Harness.start()
    onTeardown { await h.stop() }
    let e = await expectAshbyError {
      _ = try await h.client.perform(
        "schedule_interview",
        [
          "application_id": .string(h.fake.seedIDs("application")[0]), "start_time": "2026-03-02T15:00:00Z",
          "end_time": "2026-03-02T16:00:00Z", "interviewer_email": "nobody@example.com",
        ])
    }
    #expect(e?.kind == .api)
    #expect(e?.code == "invalid_input")
  }

  @Test(
    arguments: [
      ("create_candidate", ["first_name": "A", "last_name": "B"] as [String: JSONValue], "email", "missing"),
      ("create_candidate", ["first_name": "A", "last_name": "B", "email": "not-an-email"], "email", "not an email"),
      (
        "create_candidate", ["first_name": "A", "last_name": "B", "email": "a@b.co", "emial": "x"], "emial",
        "did you mean"
      ),
      ("get_job", ["job_idd": "x"], "job_idd", "did you mean \"job_id\""),
      ("get_job", ["job_id": 5], "job_id", "must be a string"),
      ("list_jobs", ["status": []], "status", "list of strings"),
    ] as [(String, [String: JSONValue], String, String)])
  func argumentErrorsNameTheParameterAndSendNothing(
    action: String, params: [String: JSONValue], parameter: String, text: String
  ) async throws {
    let h = try await Harness.start()
    onTeardown { await h.stop() }
    let e = await expectAshbyError { _ = try await h.client.perform(action, params) }
    #expect(e?.kind == .argument)
    #expect(e?.parameter == parameter)
    #expect(e?.action == action)
    #expect(e?.message.contains(text) == true, "\(String(describing: e))")
    #expect(h.fake.requests.isEmpty)
  }
}
