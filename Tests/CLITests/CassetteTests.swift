import AshbyFake
import AshbyTestSupport
import Foundation
import Testing

/// `run --record` against `ashby-lua fake-server` (a process of its own), then
/// `run --replay` with the server gone and no key: the same output, a changed
/// request refused with the closest recorded one named, the key and people's
/// data nowhere in the cassette, `--record-missing` adding what was missing.
@Suite(.serialized) struct CassetteTests {
  /// Reads candidates (pages), a job list, a search by an email it read, and creates a
  /// candidate from its arguments (a name, an email and a phone that are the script's own).
  static let source = """
    local n, first = 0, nil
    for c in ashby.pages("candidate.list") do
      n = n + 1
      first = first or c
    end
    print("candidates", n, first.id)
    local jobs = ashby.list_jobs{ status = arg[1] }.jobs
    print("jobs", #jobs, jobs[1].title)
    local found = ashby.call("candidate.search", { email = first.primaryEmailAddress.value })
    print("found", #found, found[1].id)
    local made = ashby.create_candidate({ first_name = arg[2], last_name = "Quill", email = arg[3], phone = arg[4] })
    print("made", made.id ~= nil)
    io.stderr:write("done\\n")
    """
  static let arguments = ["open", "Zelda", "zelda.quill@corp.example", "+44 20 7946 0018"]

  /// A fake-server process and its URL; stopped by `stop`.
  func fakeServer(home: URL) async throws -> (Process, String) {
    let process = Process()
    process.executableURL = binary
    process.arguments = ["fake-server", "--port", "0"]
    process.environment = binaryEnvironment(home: home, [:])
    // Its banner shows the fake's key: kept out of `home`, where every file is checked for it.
    let out = try scratch().appendingPathComponent("fake-server.out")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    let handle = try FileHandle(forWritingTo: out)
    process.standardOutput = handle
    process.standardError = FileHandle.nullDevice
    try process.run()
    try? handle.close()
    for _ in 0..<600 {
      let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
      if let range = text.range(of: #"http://127\.0\.0\.1:\d+"#, options: .regularExpression) {
        return (process, String(text[range]))
      }
      try await Task.sleep(for: .milliseconds(50))
    }
    process.terminate()
    throw CancellationError()
  }

  func stop(_ process: Process) async throws {
    process.terminate()
    try await exited(process)
  }

  @Test func aRecordedRunReplaysOfflineAndKeepsNoKeyAndNoPeoplesData() async throws {
    let home = try scratch()
    let path = try script(Self.source)
    let cassette = home.appendingPathComponent("run.cassette.json").path
    let raw = home.appendingPathComponent("raw.cassette.json").path
    let (server, url) = try await fakeServer(home: home)
    let key = ["ASHBY_API_KEY": FakeAshby.fullKey]
    let recorded = try await run(
      ["run", "--base-url", url, "--record", cassette, path] + Self.arguments, env: key, home: home)
    #expect(recorded.status == 0, "\(recorded.stderr)")
    // The same run kept as it came, to know what people's data the answers held.
    let unredacted = try await run(
      ["run", "--base-url", url, "--record", raw, "--redact", "none", path] + Self.arguments, env: key, home: home)
    #expect(unredacted.status == 0, "\(unredacted.stderr)")
    try await stop(server)

    // No server, no key: the same output, byte for byte.
    let replayed = try await run(["run", "--base-url", url, "--replay", cassette, path] + Self.arguments, home: home)
    #expect(replayed.status == 0, "\(replayed.stderr)")
    #expect(replayed.stdout == recorded.stdout)
    #expect(replayed.stderr == recorded.stderr)
    #expect(recorded.stdout.contains("candidates\t100\t"), "\(recorded.stdout)")
    // Nothing of their own, unless asked.
    #expect(recorded.stderr == "done\n" && replayed.stderr == "done\n", "\(recorded.stderr)\n\(replayed.stderr)")
    let verbose = try await run(["run", "--verbose", "--replay", cassette, path] + Self.arguments, home: home)
    #expect(verbose.stderr.contains("cassette \(cassette): 5 of 5 recorded answers used"), "\(verbose.stderr)")

    let text = try String(contentsOf: URL(fileURLWithPath: cassette), encoding: .utf8)
    #expect(!text.contains(FakeAshby.fullKey))
    #expect(!text.lowercased().contains("authorization"))
    let people = Self.peoplesData(in: try String(contentsOf: URL(fileURLWithPath: raw), encoding: .utf8))
    #expect(people.count > 100, "names, emails and the phone of the answers: \(people.count)")
    for value in people { #expect(!text.contains(value), "the cassette holds \(value)") }
    for own in Self.arguments.dropFirst() { #expect(!text.contains(own), "the cassette holds \(own)") }
    #expect(text.contains("person-1@example.invalid"))
  }

  @Test func aChangedRequestIsRefusedNamingTheClosestAndRecordMissingAddsIt() async throws {
    let home = try scratch()
    let path = try script(Self.source)
    let cassette = home.appendingPathComponent("run.cassette.json").path
    let (server, url) = try await fakeServer(home: home)
    let key = ["ASHBY_API_KEY": FakeAshby.fullKey]
    let recorded = try await run(
      ["run", "--base-url", url, "--record", cassette, path] + Self.arguments, env: key, home: home)
    #expect(recorded.status == 0, "\(recorded.stderr)")

    var changed = Self.arguments
    changed[0] = "closed"
    let refused = try await run(["run", "--replay", cassette, path] + changed, home: home)
    #expect(refused.status == 1)
    #expect(refused.stderr.contains(#"replay: job.list {"status":["Closed"]} is not in the cassette"#), "\(refused.stderr)")
    #expect(refused.stderr.contains(#"the closest recorded request is job.list {"status":["Open"]}"#), "\(refused.stderr)")
    let before = try Data(contentsOf: URL(fileURLWithPath: cassette))

    // --record-missing sends what the cassette lacks, and adds it; a replay then needs nothing more.
    let added = try await run(
      ["run", "--base-url", url, "--replay", cassette, "--record-missing", path] + changed, env: key, home: home)
    #expect(added.status == 0, "\(added.stderr)")
    #expect(try Data(contentsOf: URL(fileURLWithPath: cassette)).count > before.count)
    try await stop(server)
    let offline = try await run(["run", "--replay", cassette, path] + changed, home: home)
    #expect(offline.status == 0, "\(offline.stderr)")
    #expect(offline.stdout == added.stdout)
    let again = try await run(["run", "--replay", cassette, path] + Self.arguments, home: home)
    #expect(again.stdout == recorded.stdout, "\(again.stderr)")
  }

  /// A list, a write, the same list again: answered in the order recorded. A number written
  /// another way in the file (`3.0` for `3`) is the same number.
  @Test func identicalRequestsReplayInOrderAndNumbersMatchByValue() async throws {
    let home = try scratch()
    let path = try script(
      """
      local function count() return #ashby.call("candidate.search", { email = "ordered@corp.example" }) end
      print("before", count())
      ashby.create_candidate{ first_name = "Ord", last_name = "Er", email = "ordered@corp.example" }
      print("after", count())
      print("page", #ashby.call("candidate.list", { limit = 3 }))
      """)
    let cassette = home.appendingPathComponent("o.cassette.json")
    let (server, url) = try await fakeServer(home: home)
    let recorded = try await run(
      ["run", "--base-url", url, "--record", cassette.path, path], env: ["ASHBY_API_KEY": FakeAshby.fullKey], home: home)
    try await stop(server)
    #expect(recorded.stdout == "before\t0\nafter\t1\npage\t3\n", "\(recorded.all)")
    let text = try String(contentsOf: cassette, encoding: .utf8)
    let edited = text.replacingOccurrences(of: #""limit" : 3\b"#, with: #""limit" : 3.0"#, options: .regularExpression)
    #expect(edited != text, "no limit in \(text)")
    try edited.write(to: cassette, atomically: true, encoding: .utf8)
    let replayed = try await run(["run", "--replay", cassette.path, path], home: home)
    #expect(replayed.status == 0 && replayed.stdout == recorded.stdout, "\(replayed.all)")
  }

  /// A person met in one session and again in a `--record-missing` one is the same stand-in both times.
  @Test func aPersonMetAgainByRecordMissingKeepsTheirStandIn() async throws {
    let home = try scratch()
    let path = try script(
      """
      local first
      for c in ashby.pages("candidate.list") do first = first or c end
      print("first", first.name)
      if arg[1] == "info" then
        local c = ashby.call("candidate.info", { id = first.id })
        print("same", c.name == first.name, c.primaryEmailAddress.value == first.primaryEmailAddress.value)
      end
      """)
    let cassette = home.appendingPathComponent("p.cassette.json").path
    let (server, url) = try await fakeServer(home: home)
    let key = ["ASHBY_API_KEY": FakeAshby.fullKey]
    let listed = try await run(["run", "--base-url", url, "--record", cassette, path, "list"], env: key, home: home)
    let added = try await run(
      ["run", "--base-url", url, "--replay", cassette, "--record-missing", path, "info"], env: key, home: home)
    try await stop(server)
    // That session saw the stand-in (from the file) beside the person as Ashby has them (sent live).
    #expect(listed.status == 0 && added.stdout.hasSuffix("same\tfalse\tfalse\n"), "\(listed.all)\n\(added.all)")
    let replayed = try await run(["run", "--replay", cassette, path, "info"], home: home)
    #expect(replayed.stdout == "first\tPerson 1\nsame\ttrue\ttrue\n", "\(replayed.all)")
  }

  /// A resume's download and upload go through the cassette too (their names, type and size, never
  /// the file), so a replay that attaches a resume reaches no host at all.
  @Test func aResumeAttachedWhileRecordingReplaysWithNoHost() async throws {
    let home = try scratch()
    let path = try script(
      """
      local c = ashby.create_candidate{ first_name = "Ada", last_name = "Byron", email = "ada.byron@corp.example", resume_url = arg[1] }
      print("resume", c.resumeFileHandle ~= nil)
      """)
    let cassette = home.appendingPathComponent("r.cassette.json").path
    let tooBig = home.appendingPathComponent("big.cassette.json").path
    let (server, url) = try await fakeServer(home: home)
    let recorded = try await run(
      ["run", "--base-url", url, "--record", cassette, path, url + "/_files/resume.pdf"],
      env: ["ASHBY_API_KEY": FakeAshby.fullKey], home: home)
    // A download that fails fails the same way on replay.
    let failed = try await run(
      ["run", "--base-url", url, "--record", tooBig, path, url + "/_files/big"],
      env: ["ASHBY_API_KEY": FakeAshby.fullKey], home: home)
    try await stop(server)
    #expect(failed.status != 0 && failed.stderr.contains("larger than"), "\(failed.all)")
    let failedAgain = try await run(["run", "--replay", tooBig, path, url + "/_files/big"], home: home)
    #expect(failedAgain.status == failed.status && failedAgain.stderr == failed.stderr, "\(failedAgain.all)")
    #expect(recorded.status == 0 && recorded.stdout == "resume\ttrue\n", "\(recorded.all)")
    let text = try String(contentsOf: URL(fileURLWithPath: cassette), encoding: .utf8)
    #expect(text.contains("resume:download") && text.contains("resume:upload") && !text.contains("%PDF"), "\(text)")
    let replayed = try await run(["run", "--replay", cassette, path, url + "/_files/resume.pdf"], home: home)
    #expect(replayed.status == 0 && replayed.stdout == recorded.stdout && replayed.stderr == recorded.stderr, "\(replayed.all)")
  }

  /// A secret is never written, names a search sends are replaced like the answers', and the replay matches.
  @Test func secretsAndSearchedNamesStayOutAndReplay() async throws {
    let home = try scratch()
    let path = try script(
      """
      local first
      for c in ashby.pages("candidate.list") do first = first or c end
      local found = ashby.call("candidate.search", { name = first.name })
      print("found", #found)
      local hook = ashby.call("webhook.create", { webhookType = "applicationSubmit", requestUrl = "https://hooks.example/x", secretToken = "s3cr3t-webhook-token-123" })
      print("hook", hook.id ~= nil)
      """)
    let cassette = home.appendingPathComponent("s.cassette.json").path
    let (server, url) = try await fakeServer(home: home)
    let recorded = try await run(
      ["run", "--base-url", url, "--record", cassette, path], env: ["ASHBY_API_KEY": FakeAshby.fullKey], home: home)
    #expect(recorded.status == 0, "\(recorded.stderr)")
    try await stop(server)
    let text = try String(contentsOf: URL(fileURLWithPath: cassette), encoding: .utf8)
    #expect(!text.contains("s3cr3t-webhook-token-123"))
    #expect(!text.contains("Lee Lovelace"), "the searched name is in the cassette")
    let replayed = try await run(["run", "--replay", cassette, path], home: home)
    #expect(replayed.status == 0, "\(replayed.stderr)")
    #expect(replayed.stdout == recorded.stdout)
  }

  /// A cassette someone edited badly is a clear error, never a crash.
  @Test func aBrokenCassetteIsAUsageError() async throws {
    let path = try script("print(#ashby.list_jobs().jobs)")
    let home = try scratch()
    for (name, interaction) in [
      ("status", #"{"endpoint":"job.list","request":{},"status":5000,"headers":{},"response":{"success":true,"results":[]}}"#),
      ("header", #"{"endpoint":"job.list","request":{},"status":200,"headers":{"Ü-X":"1"},"response":{"success":true,"results":[]}}"#),
    ] {
      let file = home.appendingPathComponent("\(name).json")
      try #"{"format":"ashby-lua cassette 1","recorded_at":"2026-01-01T00:00:00Z","redacted":true,"interactions":[\#(interaction)]}"#
        .write(to: file, atomically: true, encoding: .utf8)
      let r = try await run(["run", "--replay", file.path, path], home: home)
      #expect(r.status == 2, "\(name): \(r.all)")
      #expect(r.stderr.contains("exchange 1 has"), "\(name): \(r.stderr)")
    }
  }

  @Test func flagsThatDoNotGoTogetherAreUsageErrors() async throws {
    let path = try script("print(1)")
    for args in [
      ["run", "--record", "a.json", "--replay", "b.json", path], ["run", "--record-missing", path],
      ["run", "--fake", "--record", "a.json", path], ["run", "--record", "a.json", "--redact", "some", path],
      ["run", "--replay", "a.json", "--redact", "none", path],
    ] {
      let r = try await run(args)
      #expect(r.status == 2, "\(args): \(r.stderr)")
    }
    let missing = try await run(["run", "--replay", "/nonexistent/cassette.json", path])
    #expect(missing.status == 2)
    #expect(missing.stderr.contains("cannot read the cassette /nonexistent/cassette.json"), "\(missing.stderr)")
  }

  /// Every name, email and phone number of a person in an unredacted cassette's answers.
  static func peoplesData(in text: String) -> Set<String> {
    guard let file = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
      let interactions = file["interactions"] as? [[String: Any]]
    else { return [] }
    var found = Set<String>()
    func visit(_ value: Any, person: Bool) {
      if let object = value as? [String: Any] {
        let isPerson = person || object["primaryEmailAddress"] != nil || object["emailAddresses"] != nil
        for (key, member) in object {
          if isPerson, key == "name", let name = member as? String { found.insert(name) }
          if key == "value" || key == "email", let s = member as? String, s.contains("@") || s.hasPrefix("+") {
            found.insert(s)
          }
          visit(member, person: key == "candidate")
        }
      } else if let list = value as? [Any] {
        for item in list { visit(item, person: person) }
      }
    }
    for interaction in interactions { visit(interaction["response"] ?? [:], person: false) }
    return found
  }
}
