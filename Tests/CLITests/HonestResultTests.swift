import AshbyCatalog
import AshbyFake
import AshbyTestSupport
import Foundation
import Testing

/// What a first week's scripts got silently wrong: a first page taken for the
/// whole list, seconds sent where Ashby wants milliseconds, a typo read as nil,
/// and a dry run that counted writes differently from the real run.
@Suite struct HonestResultTests {
  @Test func aFirstPageSaysSoOncePerEndpointAndCallReturnsWhereThePageStands() async throws {
    let f = try await FakeFixture.start()
    let path = try script(
      """
      local apps, meta = ashby.call("application.list", {})
      print(#apps, meta.more, meta.next_cursor)
      ashby.call("application.list", {})                       -- said once only
      local rest, last = ashby.call("application.list", { cursor = meta.next_cursor })
      print(#rest, last.more, last.next_cursor, last.sync_token ~= nil)
      local sources, one = ashby.call("source.list", {})
      print(one.more)
      ashby.call("candidate.list", { limit = 10 })
      local n = 0
      for _ in ashby.pages("application.list") do n = n + 1 end
      print(n)
      """)
    let r = try await run(["run", path], env: f.env)
    #expect(r.status == 0, "\(r.all)")
    let n = f.fake.seedIDs("application").count
    let more = n > 200
    let rest = "\(min(100, n - 100))\t\(more)\t\(more ? "c200" : "nil")\t\(!more)"
    #expect(r.stdout == "100\ttrue\tc100\n\(rest)\nfalse\n\(n)\n", "\(r.all)")
    let said = r.stderr.split(separator: "\n").filter { $0.contains("returned its first") }
    #expect(
      said == [
        #"ashby: application.list returned its first 100 results; ashby.pages("application.list") iterates all"#,
        #"ashby: candidate.list returned its first 10 results; ashby.pages("candidate.list") iterates all"#,
      ], "\(r.stderr)")
  }

  @Test func strictResultsAreOnByDefaultAndTurnOffByFlagAndProfile() async throws {
    let f = try await FakeFixture.start()
    let path = try script("local j = ashby.list_jobs{ status = 'open' }.jobs[1]; print(j.titel)")
    let strict = try await run(["run", path], env: f.env)
    #expect(strict.status == 1 && strict.stderr.contains("Job has no field 'titel' (did you mean 'title'?)"), "\(strict.all)")
    let loose = try await run(["run", "--loose-results", path], env: f.env)
    #expect(loose.status == 0 && loose.stdout == "nil\n", "\(loose.all)")

    let home = try scratch()
    let config = home.appendingPathComponent("config/ashby-lua/config.toml")
    try FileManager.default.createDirectory(at: config.deletingLastPathComponent(), withIntermediateDirectories: true)
    try "[default]\nstrict_results = false\n".write(to: config, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: config.path)
    let profile = try await run(["run", path], env: f.env, home: home)
    #expect(profile.status == 0 && profile.stdout == "nil\n", "\(profile.all)")
    try "[default]\nstrict_results = \"no\"\n".write(to: config, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: config.path)
    let bad = try await run(["run", path], env: f.env, home: home)
    #expect(bad.status == 2 && bad.stderr.contains("strict_results must be true or false"), "\(bad.all)")

    // The REPL is strict too.
    let repl = try await run(["repl", "--fake"], stdin: "return ashby.list_jobs{}.jobs[1].titel\n")
    #expect(repl.all.contains("Job has no field 'titel' (did you mean 'title'?)"), "\(repl.all)")
  }

  @Test func timeFiltersTakeISOTimesAndRefuseSecondsAndTheFakeHonoursThem() async throws {
    let f = try await FakeFixture.start()
    let path = try script(
      """
      local all = 0
      for _ in ashby.pages("application.list") do all = all + 1 end
      local since = ashby.util.date.format(os.time() - 10 * 86400)
      local recent, bad = 0, 0
      for app in ashby.pages("application.list", { created_after = since }) do
        recent = recent + 1
        if ashby.util.date.parse(app.createdAt) <= ashby.util.date.parse(since) then bad = bad + 1 end
      end
      print(all, recent > 0 and recent < all, bad)
      local ok, err = pcall(ashby.call, "application.list", { createdAfter = os.time() - 86400 })
      print(err.kind, err.parameter, err.message)
      local opened = ashby.call("job.list", { opened_before = "2026-01-01T00:00:00Z", status = { "Open" } })
      print(#opened >= 0)
      """)
    let r = try await run(["run", path], env: f.env)
    #expect(r.status == 0, "\(r.all)")
    let lines = r.stdout.split(separator: "\n").map(String.init)
    #expect(lines.first == "\(f.fake.seedIDs("application").count)\ttrue\t0", "\(r.all)")
    #expect(lines.count > 1 && lines[1].hasPrefix("argument\tcreatedAfter\t"), "\(r.all)")
    #expect(lines.count > 1 && lines[1].contains("which looks like seconds; Ashby wants milliseconds since the epoch"))
    // What went out: milliseconds, never the ISO text or seconds.
    let sent = f.fake.requests(to: "application.list").compactMap { $0.json["createdAfter"]?.int }
    #expect(!sent.isEmpty && sent.allSatisfy { $0 > 1_700_000_000_000 }, "\(sent)")
    let pages = (f.fake.seedIDs("application").count + 99) / 100
    #expect(f.fake.requests(to: "application.list").count == pages + sent.count)

    let help = try await run(["run", "-e", "ashby.help('application.list')"])
    #expect(help.stdout.contains("integer (milliseconds since the epoch) or string (ISO 8601 time)"), "\(help.all)")
  }

  @Test func everyMillisecondFieldOfTheCatalogRefusesSeconds() async throws {
    let fields = Catalog.endpoints.flatMap { endpoint in
      endpoint.request.fields.filter { if case .epochMilliseconds = $0.type { true } else { false } }.map { (endpoint.name, $0.name) }
    }
    #expect(fields.count >= 7, "\(fields)")
    let calls = fields.map { "{ \"\($0.0)\", \"\($0.1)\" }" }.joined(separator: ", ")
    let f = try await FakeFixture.start()
    let r = try await run(
      [
        "run", "-e",
        """
        for _, c in ipairs{ \(calls) } do
          local ok, err = pcall(ashby.call, c[1], { [c[2]] = 1767225600 })
          print(c[1], not ok and err.kind == "argument" and err.parameter == c[2] and err.message:find("looks like seconds") ~= nil)
        end
        """,
      ], env: f.env)
    #expect(r.status == 0, "\(r.all)")
    #expect(r.stdout.split(separator: "\n").count == fields.count)
    #expect(!r.stdout.contains("false"), "\(r.stdout)")
    #expect(f.fake.requests.isEmpty)
  }
}
