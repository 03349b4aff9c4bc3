import AshbyFake
import AshbyKit
import Foundation
import LuaHost
import Testing

/// Bulk writes against a fake that enforces a sliding-window rate limit. Nothing
/// here is timed: the assertions count 429s, writes and the share of the budget
/// used. The tests where the share does not matter use a two-second window (the
/// pacer's logic does not depend on the window's length).
@Suite struct PacingTests {
  static let window: Duration = .seconds(2)

  /// `writes` create_candidate calls through ashby.map, 16 in flight; returns how many succeeded.
  static func bulkCreate(_ s: Session, writes: Int, tag: String) async throws -> Int {
    let r = try await s.run(
      """
      local ids = {}
      for i = 1, \(writes) do ids[i] = i end
      local ok = 0
      local results = ashby.map(ids, function(i)
        local done, err = pcall(ashby.create_candidate, {
          first_name = "Bulk", last_name = "N" .. i, email = "\(tag)" .. i .. "@example.com" })
        if not done then io.stderr:write(tostring(err), "\\n") end
        return done
      end, { concurrency = 16 })
      for _, done in ipairs(results) do if done then ok = ok + 1 end end
      return ok
      """)
    return Int(r.first?.integerValue ?? -1)
  }

  static func everyWriteLandedOnce(_ s: Session, writes: Int, tag: String) -> Bool {
    (1...writes).allSatisfy { s.fake.candidates(withEmail: "\(tag)\($0)@example.com") == 1 }
  }

  @Test func writesAtTheBudgetGetNo429AndUseMostOfIt() async throws {
    // The figures, on Ashby's own minute: 120 per minute, 300 writes, so two minutes, and
    // what the machine takes to send and answer a batch (a slot is reused a window after its answer).
    let (budget, writes, window) = (120, 300, Duration.seconds(60))
    let s = try await Session.start(rateLimit: FakeRateLimit(limit: budget, window: window)) {
      $0.requestsPerMinute = budget
      $0.rateWindow = window
    }
    let ok = try await Self.bulkCreate(s, writes: writes, tag: "paced")
    #expect(ok == writes)
    #expect(s.fake.rateLimitedCount == 0)
    #expect(Self.everyWriteLandedOnce(s, writes: writes, tag: "paced"))
    // The first `budget` go as fast as the machine sends them; each later batch can start a window after
    // the answers of the one before, and its answers spread as the first batch's arrivals did. That spread
    // is this machine's, now (seconds beside a loaded test suite), not the pacer's: measured here, allowed.
    let arrivals = s.fake.admittedArrivals.sorted()
    try #require(arrivals.count >= budget)
    let span = try #require(arrivals.last) - (try #require(arrivals.first))
    let batches = (writes - 1) / budget
    let spread = arrivals[budget - 1] - arrivals[0]
    let ideal = window * batches + spread * batches
    let used = ideal / span
    #expect(used >= 0.9, "used \(used) of the budget: \(span) for what could take \(ideal) (a batch spread over \(spread))")
    await s.stop()
  }

  /// The server allows less than the client's budget and says nothing but 429:
  /// every write is resent until it lands, once.
  @Test func aServerStricterThanTheBudgetStillGetsEveryWriteExactlyOnce() async throws {
    let writes = 200
    let s = try await Session.start(rateLimit: FakeRateLimit(limit: 30, window: Self.window)) {
      $0.requestsPerMinute = 40
      $0.rateWindow = Self.window
      $0.maxAttempts = 3  // 429s do not count against it
    }
    let ok = try await Self.bulkCreate(s, writes: writes, tag: "strict")
    #expect(ok == writes)
    #expect(s.fake.rateLimitedCount > 0)
    #expect(Self.everyWriteLandedOnce(s, writes: writes, tag: "strict"))
    #expect(s.fake.count("candidate.create") == writes + s.fake.rateLimitedCount)
    await s.stop()
  }

  /// With `X-RateLimit-Limit` the client adopts the server's limit after the first answers.
  @Test func theServersLimitHeaderIsAdopted() async throws {
    let writes = 120
    let s = try await Session.start(rateLimit: FakeRateLimit(limit: 30, window: Self.window, headers: true)) {
      $0.requestsPerMinute = 40
      $0.rateWindow = Self.window
    }
    let ok = try await Self.bulkCreate(s, writes: writes, tag: "told")
    #expect(ok == writes)
    #expect(s.fake.rateLimitedCount <= 16)  // at most the first flight, before an answer arrived
    #expect(s.client.currentRateLimit <= 30)
    #expect(Self.everyWriteLandedOnce(s, writes: writes, tag: "told"))
    await s.stop()
  }
}

/// Servers that limit otherwise than our own minute: bursts of 429s, short
/// windows, random refusals, a partner's throttle. Bounds are generous (a
/// loaded two-core machine); `scripts/bench pacing` holds the exact figures.
@Suite struct AdaptivePacingTests {
  /// `reads` job.info calls through ashby.map with `concurrency` in flight; returns how many failed.
  static func reads(_ s: Session, _ reads: Int, concurrency: Int) async throws -> Int {
    let job = try #require(s.fake.seedIDs("job").first)
    let r = try await s.run(
      """
      local ids = {}
      for i = 1, \(reads) do ids[i] = "\(job)" end
      local failed = 0
      for _, ok in ipairs(ashby.map(ids, function(id) return (pcall(ashby.get_job, id)) end, { concurrency = \(concurrency) })) do
        if not ok then failed = failed + 1 end
      end
      return failed
      """)
    return Int(r.first?.integerValue ?? -1)
  }

  @Test func concurrent429sAnsweringOneBurstCutOnce() async throws {
    let s = try await Session.start(latency: .milliseconds(300)) { $0.requestsPerMinute = 600 }
    s.fake.setRetryAfter("1")
    s.fake.setFaults([FakeFault(.rateLimit, endpoint: "job.info", count: 8)])
    #expect(try await Self.reads(s, 8, concurrency: 8) == 0)
    // One event: a quarter off the pace in force (600 a minute is 10 a second), once; eight
    // cuts would leave 2. (8: raised after four quiet windows.)
    let learned = try #require(s.client.learnedServerAllowance)
    #expect((7...8).contains(learned.limit) && learned.window == .seconds(1), "\(learned)")
    #expect(s.fake.count("job.info") == 16)
    await s.stop()
  }

  /// Against a client told the server's exact rate, in the same test: both slow
  /// alike on a loaded machine, so the bound is a ratio (the benchmark: about 1.1×).
  @Test func aServerAllowingTwentyASecondIsServedNearItsRate() async throws {
    func timed(perWindow: Int, window: Duration) async throws -> (Duration, Int, Session) {
      let s = try await Session.start(rateLimit: FakeRateLimit(limit: 20, window: .seconds(1))) {
        $0.requestsPerMinute = perWindow
        $0.rateWindow = window
      }
      let started = ContinuousClock.now
      let failed = try await Self.reads(s, 200, concurrency: 8)
      return (ContinuousClock.now - started, failed, s)
    }
    let (told, toldFailed, baseline) = try await timed(perWindow: 20, window: .seconds(1))
    await baseline.stop()
    let (took, failed, s) = try await timed(perWindow: 1000, window: .seconds(60))
    #expect(failed == 0 && toldFailed == 0)
    // Before, it did not finish in two minutes; now within half again the told client's time (ideal 10 s).
    #expect(took < told * 1.5 + .seconds(2), "200 reads took \(took); a client told 20 a second took \(told)")
    #expect(s.fake.rateLimitedCount < 40, "\(s.fake.rateLimitedCount) 429s")
    // What it learned, when it learned: the window exactly; the limit, from when 429s came, reads low
    // when the machine is loaded (13 of 20 was seen with the whole suite beside it): half the server's
    // rate is the bound. On a loaded machine the few 429s can all arrive out of order (refused at a load
    // the server accepted another at), so nothing is learned and the pace above is the claim.
    if let learned = s.client.learnedServerAllowance {
      #expect(learned.window == .seconds(1) && learned.limit >= 10, "\(learned)")
    }
    await s.stop()
  }

  @Test func randomRefusalsAndServerErrorsNeverStrandARun() async throws {
    let s = try await Session.start()
    s.fake.setRetryAfter("1")
    s.fake.setFaults([FakeFault(.rateLimit, endpoint: "job.info", rate: 0.2), FakeFault(.serverError, endpoint: "job.info", rate: 0.1)])
    let started = ContinuousClock.now
    #expect(try await Self.reads(s, 40, concurrency: 8) == 0)
    let took = ContinuousClock.now - started
    // The stall this guards against cost a minute after a burst of 429s; unloaded the reads take ~10 s, and a
    // CI machine building beside them has taken 31 s.
    #expect(took < .seconds(50), "40 reads took \(took)")
    await s.stop()
  }

  @Test func aPartnerScope429PausesButLeavesTheKeysBudgetAlone() async throws {
    let s = try await Session.start { $0.requestsPerMinute = 600 }
    s.fake.setRetryAfter("1")
    s.fake.setFaults([FakeFault(.partnerRateLimit, endpoint: "job.info", count: 3)])
    let started = ContinuousClock.now
    #expect(try await Self.reads(s, 4, concurrency: 4) == 0)
    #expect(ContinuousClock.now - started >= .seconds(1))  // it waited Retry-After
    #expect(s.client.learnedServerAllowance == nil)
    #expect(s.client.currentRateLimit == 600)

    // A call that finally fails on it says whose limit it was.
    let impatient = try await Session.start { $0.rateLimitPatience = .zero }
    impatient.fake.setFaults([FakeFault(.partnerRateLimit, endpoint: "job.info", count: 5)])
    let r = try await impatient.run("local ok, e = pcall(ashby.get_job, 'x'); return e.kind, e.scope")
    #expect(r == ["rate_limited", "integration-partner"])
    await impatient.stop()
    await s.stop()
  }
}
