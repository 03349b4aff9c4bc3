import AshbyFake
import AshbyJSON
import AshbyKit
import AshbyScripting
import AshbyTestSupport
import Foundation
import LuaHost
import Testing

/// Seeded random argument tables for every `ashby.*` function that takes
/// parameters, each with at least one defect: only `argument` errors may come
/// back, nothing may reach the server, and the host must stay well.
@Suite(.teardown) struct ArgumentFuzzTests {
  static let generator = """
    local seed, rounds = ...
    math.randomseed(seed)
    local R = math.random
    local app = 'application-1'
    local valid = {
      advance_application = function() return { application_id = app, stage = 'Onsite' } end,
      create_application = function() return { job_id = 'job-1', candidate_id = 'candidate-1' } end,
      create_candidate = function() return { first_name = 'A', last_name = 'B', email = 'a@example.com' } end,
      get_job = function() return { job_id = 'job-1' } end,
      list_jobs = function() return { status = 'open' } end,
      schedule_interview = function()
        return { application_id = app, start_time = '2026-03-02T15:00:00Z', end_time = '2026-03-02T16:00:00Z',
          interviewer_email = 'lee@example.com' }
      end,
    }
    local names = {}
    for k in pairs(valid) do names[#names + 1] = k end
    table.sort(names)

    local function shared(depth) local t = { 'x' } for _ = 1, depth do t = { t, t } end return t end
    local function cycle() local t = {} t.self = t t[1] = t return t end
    local bad_utf8 = { '\\xff\\xfe', 'a\\xc0\\xafb', '\\xed\\xa0\\x80', ('\\x80'):rep(10) }
    local bad_times = { '2026-02-30T10:00:00Z', '0000-01-01T00:00:00Z', '+2026000-01-01T00:00:00Z',
      '2026-03-02T10:00:00+99:99', '2026-03-02T24:00:00Z', '2026-03-02T10:00:00', '2026-13-01T00:00:00Z',
      '2026-03-02T10:60:00Z', '2026-03-02 10:00:00Z', '2026-03-02T10:00:00.1234567890Z', '' }
    -- A value of a wrong kind for any parameter (every parameter here is a string or a list of strings).
    local function wrong_value()
      local pick = R(1, 12)
      if pick == 1 then return 0 / 0 end
      if pick == 2 then return math.huge end
      if pick == 3 then return -math.huge end
      if pick == 4 then return R(-1e9, 1e9) end
      if pick == 5 then return true end
      if pick == 6 then return print end
      if pick == 7 then return coroutine.create(print) end
      if pick == 8 then return cycle() end
      if pick == 9 then return R(1, 10) == 1 and shared(R(20, 24)) or shared(R(1, 6)) end
      if pick == 10 then return bad_utf8[R(#bad_utf8)] end
      if pick == 11 then return setmetatable({ zzz = 1 }, { __index = function() error('host read through __index') end }) end
      return { nested = { deeper = R() } }
    end
    local function keys(t) local ks = {} for k in pairs(t) do ks[#ks + 1] = k end table.sort(ks) return ks end

    -- One or more defects, of which at least the first makes the call invalid.
    local function defect(name, p)
      local ks = keys(p)
      local pick = R(1, 8)
      if pick == 1 or #ks == 0 then p[ks[1] and (ks[1] .. 'd') or 'job_idd'] = 'x'            -- a typo'd key
      elseif pick == 2 then p[ks[R(#ks)]] = wrong_value()                                     -- a wrong type
      elseif pick == 3 and name ~= 'list_jobs' then p[ks[R(#ks)]] = nil; if next(p) == nil then p.nope = 1 end
      elseif pick == 4 then p[R(1, 3)] = 'positional'                                        -- a list item
      elseif pick == 5 then p[('k'):rep(R(1, 200000))] = 'long key'
      elseif pick == 6 then local k = wrong_value(); p[k == k and k or 1.5] = 'odd key'
      elseif pick == 7 and name == 'schedule_interview' then p.start_time = bad_times[R(#bad_times)]
      elseif pick == 7 then p.email = 'not-an-email'
      else p[ks[R(#ks)]] = bad_utf8[R(#bad_utf8)] end
      if R(1, 4) == 1 then setmetatable(p, { __pairs = function() error('host called __pairs') end,
        __index = function() error('host called __index') end }) end
      return p
    end

    local bad_endpoints = { '../etc/passwd', 'candidate.info?x=1', 'candidate.', '.info', 'Candidate.info',
      'candidate.info/../x', 'candidate..info', ('a'):rep(100000) .. '.info', 'candidate.in fo', 'candidate.info\\0',
      'kandidat.inf\\xff', '' }
    local tally = { calls = 0, argument = 0, other = {} }
    local function expect_argument(what, ok, err)
      tally.calls = tally.calls + 1
      if not ok and ashby.is_error(err) and err.kind == 'argument' then
        tally.argument = tally.argument + 1
      elseif #tally.other < 10 then
        tally.other[#tally.other + 1] = what .. ': ' .. tostring(ok) .. ' ' .. tostring(err)
      end
    end
    for i = 1, rounds do
      local name = names[R(#names)]
      local r = R(1, 20)
      if r == 1 then
        expect_argument(name .. '(wrong value)', pcall(ashby[name], wrong_value()))
      elseif r == 2 then
        expect_argument('call', pcall(ashby.call, bad_endpoints[R(#bad_endpoints)], defect(name, valid[name]())))
      elseif r == 3 then
        expect_argument('call(wrong endpoint)', pcall(ashby.call, wrong_value(), {}))
      elseif r == 4 then
        expect_argument('pages', pcall(function() for _ in ashby.pages(bad_endpoints[R(#bad_endpoints)]) do end end))
      elseif r == 5 then
        expect_argument('sleep', pcall(ashby.sleep, ({ -1, 0 / 0, math.huge, 1e300, 2e10, 'x', {} })[R(7)]))
      else
        expect_argument(name, pcall(ashby[name], defect(name, valid[name]())))
      end
    end
    return tally.calls, tally.argument, table.concat(tally.other, '\\n'), 1 + 1
    """

  @Test func fiveThousandDefectiveCallsAreArgumentErrorsAndSendNothing() async throws {
    let s = try await Session.start()
    onTeardown { await s.stop() }
    s.fake.clearLog()
    let r = try await s.vm.perform { ctx in
      try ctx.run(Self.generator, name: "@fuzz.lua", args: [.integer(20_261_201), .integer(5_000)])
    }
    #expect(r[0] == 5_000)
    #expect(r[1] == 5_000, "not argument errors:\n\(r[2].stringValue ?? "")")
    #expect(r[3] == 2)  // the VM goes on
    #expect(s.fake.requests.isEmpty, "reached the server: \(s.fake.requests.map(\.endpoint))")
  }
}

/// The same bad times are refused in dry and real runs, before anything is sent.
@Suite(.teardown) struct StrictTimeTests {
  static let impossible = [
    "2026-02-30T10:00:00Z", "2025-02-29T10:00:00Z", "0000-01-01T00:00:00Z", "+2026000-01-01T00:00:00Z",
    "20260-01-01T00:00:00Z", "2026-03-02T10:00:00+99:99", "2026-03-02T10:00:00+19:00", "2026-03-02T24:00:00Z",
    "2026-03-02T10:60:00Z", "2026-03-02T10:00:60Z", "2026-04-31T10:00:00Z", "2026-03-02T10:00:00",
    "2026-03-02 10:00:00Z", "2026-3-2T10:00:00Z", "2026-03-02T10:00:00.Z", "2026-03-02T10:00:00.1234567890Z",
    "2026-03-02T10:00:00ZZ", "2026-03-02T10:00:00+0100", "1899-12-31T23:59:59Z", "２０２６-03-02T10:00:00Z",
  ]

  @Test(arguments: [false, true])
  func impossibleTimesAreArgumentErrorsInDryAndRealRuns(_ dryRun: Bool) async throws {
    let s = try await Session.start(dryRun: dryRun)
    onTeardown { await s.stop() }
    s.fake.clearLog()
    for time in Self.impossible {
      let r = try await s.run(
        """
        local ok, e = pcall(ashby.schedule_interview, { application_id = 'a', start_time = '\(time)',
          end_time = '2030-01-01T00:00:00Z', interviewer_email = 'lee@example.com' })
        return ok, e.kind, e.parameter
        """)
      #expect(r == [false, "argument", "start_time"], "\(time) (dry run: \(dryRun))")
    }
    #expect(s.fake.requests.isEmpty)
  }

  @Test func realTimesAreSentAsUTCWithMilliseconds() {
    let cases = [
      ("2026-03-02T15:00:00Z", "2026-03-02T15:00:00.000Z"), ("2026-03-02T10:00:00-05:00", "2026-03-02T15:00:00.000Z"),
      ("2024-02-29T23:30:00.25+01:30", "2024-02-29T22:00:00.250Z"), ("2026-12-31T23:59:59.9999z", "2026-12-31T23:59:59.999Z"),
      ("1900-01-01t00:00:00+18:00", "1899-12-31T06:00:00.000Z"), ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59.000Z"),
      ("2000-02-29T12:00:00-00:00", "2000-02-29T12:00:00.000Z"), ("1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000Z"),
      // Found by scripts/fuzz: far from 1970, .999 came back as .998 (seconds as a Double).
      ("2108-02-29T23:59:59.99999+18:00", "2108-02-29T05:59:59.999Z"),
    ]
    for (input, sent) in cases { #expect(Timestamps.utc(input) == sent, "\(input)") }
    for bad in StrictTimeTests.impossible { #expect(Timestamps.parse(bad) == nil, "\(bad)") }
  }

  @Test func anEndBeforeTheStartIsRefusedTheSameWayInBothModes() async throws {
    for dryRun in [false, true] {
      let s = try await Session.start(dryRun: dryRun)
      let r = try await s.run(
        """
        local ok, e = pcall(ashby.schedule_interview, { application_id = 'a', start_time = '2026-03-02T16:00:00+01:00',
          end_time = '2026-03-02T15:00:00Z', interviewer_email = 'lee@example.com' })
        return ok, e.kind, e.parameter
        """)
      #expect(r == [false, "argument", "end_time"])
      #expect(s.fake.requests.isEmpty)
      await s.stop()
    }
  }
}
