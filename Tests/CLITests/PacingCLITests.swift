import AshbyFake
import AshbyTestSupport
import Foundation
import Testing

/// Pacing as a user meets it: the fake limits per any window, and `--verbose`
/// says what the pacer learned.
@Suite(.teardown) struct PacingCLITests {
  @Test func theFakeLimitsPerAnyWindowAndVerboseSaysWhatWasLearned() async throws {
    #expect(FakeRateLimit(flag: "20/1")?.limit == 20 && FakeRateLimit(flag: "20/1")?.window == .seconds(1))
    #expect(FakeRateLimit(flag: "300/60")?.window == .seconds(60))
    for bad in ["20", "0/1", "20/0", "x/1", "20/1/2", "20/inf"] { #expect(FakeRateLimit(flag: bad) == nil, "\(bad)") }
    let refused = try await run(["fake-server", "--rate-limit", "20"], timeout: 20)
    #expect(refused.status == 2 && refused.stderr.contains("expected N/SECONDS"), "\(refused.all)")

    // Three requests per 20 s, asked one at a time: the fourth is refused however slow the machine
    // (three take far less than 20 s), at the load the server accepted the others at, so the pacer
    // learns from it. (Many at once on a loaded machine arrive out of order, and a refusal at a load
    // the server accepted is rightly not taken as the rate.)
    let f = try await FakeFixture.start { $0.rateLimit = FakeRateLimit(flag: "3/20") }
    let job = try #require(f.fake.seedIDs("job").first)
    let r = try await run(
      [
        "run", "--verbose", "-e",
        "local ids = {} for i = 1, 5 do ids[i] = '\(job)' end; print(#ashby.map(ids, ashby.get_job, { concurrency = 1 }))",
      ], env: f.env, timeout: 120)
    #expect(r.status == 0 && r.stdout == "5\n", "\(r.all)")
    #expect(f.fake.rateLimitedCount >= 1)
    #expect(r.stderr.contains("ashby: pacing: Ashby answered 429 (Retry-After "), "\(r.stderr)")
    #expect(r.stderr.contains(" s, what it accepted in its last window"), "\(r.stderr)")
  }
}
