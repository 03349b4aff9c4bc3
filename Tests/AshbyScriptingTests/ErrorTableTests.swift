import AshbyFake
import AshbyKit
import AshbyTestSupport
import Foundation
import LuaHost
import Testing

/// Runs `call` under pcall and returns the error table's fields and tostring.
let inspect = """
  local function inspect(f, ...)
    local ok, err = pcall(f, ...)
    assert(not ok, "expected an error")
    assert(ashby.is_error(err), "not an ashby error: " .. tostring(err))
    return {
      kind = err.kind, code = err.code, action = err.action, endpoint = err.endpoint, status = err.status,
      retryable = err.retryable, request_id = err.request_id, where = err.where, partial = err.partial,
      parameter = err.parameter, message = err.message, text = tostring(err),
    }
  end
  """

@Suite(.teardown) struct ErrorTableTests {
  @Test(
    arguments: [
      (
        "ashby.get_job{ job_idd = 'x' }", "get_job", "job_idd", #"unknown parameter "job_idd" (did you mean "job_id"?)"#
      ),
      ("ashby.get_job()", "get_job", "job_id", #"missing required parameter "job_id""#),
      ("ashby.get_job(42)", "get_job", "params", "expects a table of parameters"),
      ("ashby.get_job{ job_id = 42 }", "get_job", "job_id", #""job_id" must be a string, got number"#),
      (
        "ashby.create_candidate{ first_name = 'A', last_name = 'B', email = 'nope' }", "create_candidate", "email",
        "is not an email address"
      ),
      (
        "ashby.create_candidate{ first_name = 'A', last_name = 'B', email = 'a@b.co', resume_url = 'file:///etc/passwd' }",
        "create_candidate", "resume_url", "http or https URL"
      ),
      (
        "ashby.schedule_interview{ application_id = 'a', start_time = '2026-01-01T10:00:00', end_time = '2026-01-01T11:00:00Z', interviewer_email = 'lee@example.com' }",
        "schedule_interview", "start_time", "with Z or an offset"
      ),
      (
        "ashby.advance_application{ application_id = 'a' }", "advance_application", "stage_id",
        #"give "stage_id" or "stage""#
      ),
      ("ashby.list_jobs{ status = { 'open', 7 } }", "list_jobs", "status", "list of strings"),
      ("ashby.list_jobs{ status = 'opened' }", "list_jobs", "status", "unknown job status"),
      (
        "ashby.create_application{ job_id = 'j', candidate_id = 'c', [1] = 'x' }", "create_application", "params",
        "expects a table of parameters"
      ),
    ] as [(String, String, String, String)])
  func argumentErrors(call: String, action: String, parameter: String, text: String) async throws {
    let s = try await Session.start()
    onTeardown { await s.stop() }
    let r = try await s.run(inspect + "\nlocal e = inspect(function() return \(call) end)\nreturn e")
    let e = r[0]
    #expect(e["kind"] == "argument")
    #expect(e["action"] == .string(action))
    #expect(e["parameter"] == .string(parameter))
    #expect(e["message"].stringValue?.contains(text) == true, "\(e)")
    let line = inspect.split(separator: "\n", omittingEmptySubsequences: false).count + 1
    #expect(e["where"] == .string("script.lua:\(line)"))
    #expect(e["text"].stringValue?.hasPrefix("ashby.\(action): argument: ") == true)
    #expect(e["text"].stringValue?.hasSuffix(" at script.lua:\(line)") == true)
    #expect(s.fake.requests.filter { $0.endpoint != "job.list" }.isEmpty)
  }

  @Test func apiErrorKindsAsLuaTables() async throws {
    let s = try await Session.start()
    onTeardown { await s.stop() }
    let app = s.fake.seedIDs("application")[0]
    let r = try await s.run(
      inspect + """

        local out = {}
        out.not_found = inspect(ashby.get_job, "missing")
        out.api = inspect(ashby.schedule_interview, { application_id = "\(app)", start_time = "2026-03-02T15:00:00Z",
          end_time = "2026-03-02T16:00:00Z", interviewer_email = "nobody@example.com" })
        out.call = inspect(ashby.call, "application.info", { applicationId = "nope" })
        return out
        """)
    let out = r[0]
    #expect(out["not_found"]["kind"] == "not_found")
    #expect(out["not_found"]["code"] == "job_not_found")
    #expect(out["not_found"]["endpoint"] == "job.info")
    #expect(out["not_found"]["action"] == "get_job")
    #expect(out["not_found"]["status"] == 200)
    #expect(out["not_found"]["retryable"] == false)
    #expect(out["not_found"]["request_id"].stringValue?.hasPrefix("req-") == true)
    // Called straight from pcall (a C function), so there is no script line, as in plain Lua.
    #expect(out["not_found"]["text"] == "ashby.get_job: not_found (job_not_found): Job not found")
    #expect(out["api"]["kind"] == "api")
    #expect(out["api"]["code"] == "invalid_input")
    #expect(out["call"]["action"] == "call")
    #expect(out["call"]["code"] == "application_not_found")
  }

  @Test func authPermissionRateLimitedNetworkTimeoutAmbiguousPartial() async throws {
    let noKey = try await Session.start(key: nil)
    onTeardown { await noKey.stop() }
    let auth = try await noKey.run(inspect + "\nreturn inspect(ashby.list_jobs)")[0]
    #expect(auth["kind"] == "auth")
    #expect(auth["message"].stringValue?.contains("ashby-lua auth login") == true)

    let readOnly = try await Session.start(key: FakeAshby.readOnlyKey)
    onTeardown { await readOnly.stop() }
    let perm = try await readOnly.run(
      inspect + "\nreturn inspect(ashby.create_candidate, { first_name = 'a', last_name = 'b', email = 'a@b.co' })")[0]
    #expect(perm["kind"] == "permission")
    #expect(perm["code"] == "missing_endpoint_permission")
    #expect(perm["status"] == 403)

    // 429s are resent until the run's deadline; with no patience at all the first one surfaces.
    let impatient = try await Session.start { $0.rateLimitPatience = .zero }
    onTeardown { await impatient.stop() }
    impatient.fake.setFaults([FakeFault(.rateLimit, endpoint: "job.info", count: 5)])
    let limited = try await impatient.run(inspect + "\nreturn inspect(ashby.get_job, 'x')")[0]
    #expect(limited["kind"] == "rate_limited")
    #expect(limited["retryable"] == true)
    #expect(limited["status"] == 429)

    let s = try await Session.start {
      $0.maxAttempts = 2; $0.requestTimeout = .milliseconds(200)
    }
    onTeardown { await s.stop() }

    s.fake.setFaults([FakeFault(.slowBody, endpoint: "job.list", count: 5)])
    let timeout = try await s.run(inspect + "\nreturn inspect(ashby.list_jobs)")[0]
    #expect(timeout["kind"] == "timeout")

    s.fake.setFaults([FakeFault(.reset, endpoint: "candidate.create", count: 1)])
    let ambiguous = try await s.run(
      inspect
        + "\nreturn inspect(ashby.create_candidate, { first_name = 'a', last_name = 'b', email = 'amb@example.com' })")[
        0]
    #expect(ambiguous["kind"] == "ambiguous")
    #expect(ambiguous["retryable"] == false)
    #expect(s.fake.candidates(withEmail: "amb@example.com") == 1)

    // A session of its own: the 200 ms limit above is for the timeout, not for a loaded machine's stage move.
    let p = try await Session.start { $0.maxAttempts = 2 }
    onTeardown { await p.stop() }
    p.fake.setFaults([FakeFault(.serverError, endpoint: "candidate.createNote", count: 1)])
    let app = p.fake.seedIDs("application")[3]
    let partial = try await p.run(
      inspect + """

        local e = inspect(ashby.advance_application, { application_id = "\(app)", stage = "Offer", note = "x" })
        local ok, moved = pcall(ashby.advance_application, { application_id = "\(app)", stage = "Offer", note = "x" })
        return e, ok and moved.currentInterviewStage.title
        """)
    #expect(partial[0]["partial"] == true)
    #expect(partial[0]["text"].stringValue?.contains("the stage changed, but the note failed") == true)

    let network = try await Session.start { $0.maxAttempts = 1 }
    await network.fake.stop()
    let down = try await network.run(inspect + "\nreturn inspect(ashby.list_jobs)")[0]
    #expect(down["kind"] == "network")
    await network.client.shutdown()
  }

  @Test func theTimeLimitIsAnErrorTableThatPcallCannotKeep() async throws {
    let s = try await Session.start()
    onTeardown { await s.stop() }
    await #expect {
      _ = try await s.vm.perform { ctx in
        try ctx.run("local ok, e = pcall(ashby.sleep, 5); return 'swallowed', e", name: "@t.lua", timeout: 0.2)
      }
    } throws: { error in
      let e = error as? ScriptError
      return e?.kind == "limit" && e?.message.hasPrefix("limit: time limit of 0.2 s exceeded") == true
    }
  }
}
