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

    let f = try await FakeFixture.start { $0.rateLimit = FakeRateLimit(flag: "5/1") }
    let fake = f.fake
    let job = try #require(fake.seedIDs("job").first)
    let r = try await run(
      [
        "run", "--verbose", "-e",
        "local ids = {} for i = 1, 20 do ids[i] = '\(job)' end; print(#ashby.map(ids, ashby.get_job, { concurrency = 8 }))",
      ], env: f.env)
    #expect(r.status == 0 && r.stdout == "20\n", "\(r.all)")
    // How far below the budget it paces depends on what the server took before (a loaded machine's timing).
    #expect(r.stderr.contains("ashby: pacing: Ashby answered 429 (Retry-After 1.0 s): pacing to "), "\(r.stderr)")
    #expect(r.stderr.contains(" requests per 1.0 s, what it accepted in its last window"))
  }
}
