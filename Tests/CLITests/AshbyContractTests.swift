import AshbyCatalog
import AshbyFake
import AshbyTestSupport
import Foundation
import Testing

/// What Ashby documents about every request: a dated API version on each, and
/// writes attributed to a person when asked; the fake records both.
@Suite struct AshbyContractTests {
  static let calls = """
    local jobs = ashby.list_jobs{ status = "open" }.jobs
    ashby.get_job(jobs[1].id)
    ashby.create_candidate{ first_name = "Ver", last_name = "Sion", email = "version@example.com" }
    ashby.call("candidate.createNote", { candidate_id = ashby.call("candidate.list", {})[1].id, note = "n" },
      { on_behalf_of = "noted@example.com" })
    """

  @Test func everyRequestSendsTheAPIVersionAndADeprecatedOneIsSaidOnce() async throws {
    let f = try await FakeFixture.start()
    let path = try script(Self.calls)
    let r = try await run(["run", path], env: f.env)
    #expect(r.status == 0, "\(r.all)")
    #expect(f.fake.requests.count >= 5 && f.fake.requests.allSatisfy { $0.apiVersion == Catalog.apiVersion })
    #expect(!r.stderr.contains("API version"))

    f.fake.clearLog()
    f.fake.setDeprecatedVersions(["2025-06-01"])
    let old = try await run(["run", "--api-version", "2025-06-01", path], env: f.env)
    #expect(old.status == 0, "\(old.all)")
    #expect(f.fake.requests.allSatisfy { $0.apiVersion == "2025-06-01" })
    let said = old.stderr.components(separatedBy: "Ashby says API version 2025-06-01 is deprecated").count - 1
    #expect(said == 1, "\(old.stderr)")
    #expect(old.stderr.contains("choose a newer one with --api-version or api_version"))

    let bad = try await run(["run", "--api-version", "soon", path], env: f.env)
    #expect(bad.status == 2 && bad.stderr.contains("--api-version must be a date like 2026-01-01"), "\(bad.all)")

    // A profile's api_version, and auth status saying which version and its status.
    let home = try scratch()
    let config = home.appendingPathComponent("config/ashby-lua/config.toml")
    try FileManager.default.createDirectory(at: config.deletingLastPathComponent(), withIntermediateDirectories: true)
    try "[default]\napi_version = \"2025-06-01\"\n".write(to: config, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: config.path)
    f.fake.clearLog()
    let profile = try await run(["run", "-e", "ashby.get_job(ashby.list_jobs{}.jobs[1].id)"], env: f.env, home: home)
    #expect(profile.status == 0 && f.fake.requests.allSatisfy { $0.apiVersion == "2025-06-01" }, "\(profile.all)")
    let status = try await run(["auth", "status"], env: f.env, home: home)
    #expect(status.stdout.contains("API version: 2025-06-01 (deprecated)"), "\(status.all)")
    let current = try await run(["auth", "status"], env: f.env)
    #expect(current.stdout.contains("API version: 2026-01-01 (current)"), "\(current.all)")
  }

  @Test func onBehalfOfGoesOnWritesOnlyAndARefusalNamesThePermission() async throws {
    let f = try await FakeFixture.start()
    let path = try script(Self.calls)
    let r = try await run(["run", "--on-behalf-of", "lee@example.com", path], env: f.env)
    #expect(r.status == 0, "\(r.all)")
    for request in f.fake.requests {
      let expected: String? =
        request.endpoint == "candidate.createNote" ? "noted@example.com"
        : Catalog.isWrite(request.endpoint) ? "lee@example.com" : nil
      #expect(request.onBehalfOf == expected, "\(request.endpoint): \(request.onBehalfOf ?? "none")")
    }
    #expect(f.fake.requests.contains { $0.endpoint == "candidate.create" })

    let bad = try await run(["run", "--on-behalf-of", "lee example", path], env: f.env)
    #expect(bad.status == 2 && bad.stderr.contains("--on-behalf-of must be"), "\(bad.all)")

    let refused = try await run(
      [
        "run", "--on-behalf-of", "lee@example.com", "-e",
        "local ok, e = pcall(ashby.create_candidate, { first_name = 'A', last_name = 'B', email = 'ab@example.com' }); print(e.kind, e.permission)",
      ], env: ["ASHBY_BASE_URL": f.fake.baseURL.absoluteString, "ASHBY_API_KEY": FakeAshby.notActingKey])
    #expect(refused.stdout == "permission\tAllow acting on behalf of a user\n", "\(refused.all)")
    // A key that lacks the endpoint's own permission is told that, not the acting one.
    let readOnly = try await run(
      [
        "run", "--on-behalf-of", "lee@example.com", "-e",
        "local ok, e = pcall(ashby.create_candidate, { first_name = 'A', last_name = 'B', email = 'ab@example.com' }); print(e.kind, e.permission)",
      ], env: ["ASHBY_BASE_URL": f.fake.baseURL.absoluteString, "ASHBY_API_KEY": FakeAshby.readOnlyKey])
    #expect(readOnly.stdout == "permission\tcandidatesWrite\n", "\(readOnly.all)")
  }
}
