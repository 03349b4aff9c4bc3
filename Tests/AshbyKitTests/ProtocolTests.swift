import AshbyJSON
import AshbyFake
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import AshbyKit
import AshbyTestSupport

@Suite(.teardown) struct ProtocolTests {
  @Test func wireFormatAsTheServerSawIt() async throws {
    let h = try await Harness.start()
    onTeardown { await h.stop() }
    _ = try await h.client.call("job.info", ["id": .string(h.fake.seedIDs("job")[0])])
    let r = try #require(h.fake.requests.last)
    #expect(r.method == "POST")
    #expect(r.path == "/job.info")
    #expect(r.authorization == "Basic " + Data("\(FakeAshby.fullKey):".utf8).base64EncodedString())
    #expect(r.contentType == "application/json")
    #expect(r.accept == "application/json; version=1")
  }

  @Test func paginationFollowsCursorsAcrossThreePages() async throws {
    let h = try await Harness.start()
    onTeardown { await h.stop() }
    let pages = h.client.pages("job.list", ["status": ["Open", "Closed", "Archived", "Draft"]])
    var ids = Set<String>()
    while let job = try await pages.next() { ids.insert(job["id"]?.string ?? "") }
    #expect(ids.count == 250)
    #expect(pages.pagesFetched == 3)
    #expect(pages.syncToken != nil)
    let cursors = h.fake.requests(to: "job.list").map { $0.json["cursor"]?.string }
    #expect(cursors == [nil, "c100", "c200"])
  }

  @Test func wholePagesAsTextSkipEmptyOnesAndFollowAPartlyReadPage() async throws {
    let h = try await Harness.start()
    onTeardown { await h.stop() }
    let params: [String: JSONValue] = ["status": ["Open", "Closed", "Archived", "Draft"]]
    let pages = h.client.pages("job.list", params)
    let first = try #require(try await pages.next())
    var counts: [Int] = []
    var ids: Set<String> = [first["id"]?.string ?? ""]
    while let page = try await pages.nextPage() {
      let items = page.value.array ?? []
      counts.append(items.count)
      ids.formUnion(items.map { $0["id"]?.string ?? "" })
    }
    #expect(counts == [99, 100, 50])
    #expect(ids.count == 250)

    // An incremental sync with no changes: one empty page, so no pages at all.
    let full = h.client.pages("candidate.list")
    while try await full.nextPage() != nil {}
    let token = try #require(full.syncToken)
    let none = h.client.pages("candidate.list", ["syncToken": .string(token)])
    #expect(try await none.nextPage() == nil)
    #expect(none.pagesFetched == 1)
  }

  @Test func syncTokenFallsBackToAFullSync() async throws {
    let h = try await Harness.start()
    onTeardown { await h.stop() }
    let first = h.client.pages("candidate.list")
    var total = 0
    while try await first.next() != nil { total += 1 }
    let token = try #require(first.syncToken)
    _ = try await h.client.perform(
      "create_candidate", ["first_name": "New", "last_name": "Person", "email": "new@example.com"])
    let incremental = h.client.pages("candidate.list", ["syncToken": .string(token)])
    var changed: [JSONValue] = []
    while let c = try await incremental.next() { changed.append(c) }
    #expect(changed.count == 1)
    #expect(!incremental.fellBackToFullSync)
    h.fake.expireSyncTokens()
    let full = h.client.pages("candidate.list", ["syncToken": .string(token)])
    var all = 0
    while try await full.next() != nil { all += 1 }
    #expect(full.fellBackToFullSync)
    #expect(all == total + 1)
    let invalid = h.client.pages("candidate.list", ["syncToken": "garbage"])
    var again = 0
    while try await invalid.next() != nil { again += 1 }
    #expect(invalid.fellBackToFullSync && again == total + 1)
  }

  @Test func wrongKeyIsAnAuthErrorAndReadOnlyKeyLacksPermission() async throws {
    let wrong = try await Harness.start(key: "not-a-real-key-9999")
    onTeardown { await wrong.stop() }
    let e = await expectAshbyError { _ = try await wrong.client.call("job.list") }
    #expect(e?.kind == .auth)
    #expect(e?.status == 403)
    #expect(wrong.fake.count("job.list") == 1)  // not retried

    let readOnly = try await Harness.start(key: FakeAshby.readOnlyKey)
    onTeardown { await readOnly.stop() }
    _ = try await readOnly.client.call("job.list")
    let p = await expectAshbyError {
      _ = try await readOnly.client.perform(
        "create_candidate", ["first_name": "A", "last_name": "B", "email": "a@b.co"])
    }
    #expect(p?.kind == .permission)
    #expect(p?.code == "missing_endpoint_permission")
    #expect(p?.requestId != nil)
    #expect(readOnly.fake.candidates(withEmail: "a@b.co") == 0)
  }

  @Test func noKeyIsAnAuthErrorThatSaysHowToSetOne() async throws {
    let h = try await Harness.start { $0.apiKey = nil }
    onTeardown { await h.stop() }
    let e = await expectAshbyError { _ = try await h.client.call("job.list") }
    #expect(e?.kind == .auth)
    #expect(e?.message.contains("ASHBY_API_KEY") == true)
    #expect(h.fake.requests.isEmpty)
  }

  @Test func http401MapsToAuth() {
    let raw = RawResponse(status: 401, headers: HTTPHeaders(), body: ByteBuffer(string: "{}"))
    guard case .failure(let e) = Envelope.parse(raw, endpoint: "job.list") else {
      Issue.record("401 parsed as success")
      return
    }
    #expect(e.kind == .auth)
  }

  @Test func errorEnvelopesInBothShapes() {
    let shapes = [
      #"{"success":false,"errors":["first problem"]}"#,
      #"{"success":false,"errors":[{"message":"bad value","parameter":"email"}],"errorInfo":{"code":"invalid_input"}}"#,
      #"{"success":false,"errorInfo":{"code":"application_not_found"}}"#,
    ]
    let results = shapes.map { body -> AshbyError? in
      let raw = RawResponse(status: 200, headers: HTTPHeaders(), body: ByteBuffer(string: body))
      if case .failure(let e) = Envelope.parse(raw, endpoint: "x.y") { return e }
      return nil
    }
    #expect(results[0]?.message == "first problem")
    #expect(results[1]?.message == "bad value (email)")
    #expect(results[1]?.code == "invalid_input")
    #expect(results[2]?.kind == .notFound)
    #expect(results[2]?.message == "application_not_found")
  }

  @Test func readsAreRetriedOn429And5xxAndMalformedJSON() async throws {
    let h = try await Harness.start()
    onTeardown { await h.stop() }
    let id = h.fake.seedIDs("job")[1]
    h.fake.setFaults([
      FakeFault(.rateLimit, endpoint: "job.info", count: 1), FakeFault(.serverError, endpoint: "job.info", count: 1),
      FakeFault(.malformed, endpoint: "job.info", count: 1),
    ])
    let job = try await h.client.call("job.info", ["id": .string(id)])
    #expect(job["id"]?.string == id)
    #expect(h.fake.requests(to: "job.info").map(\.status) == [429, 500, 200, 200])
  }

  @Test func retriesStopAtTheAttemptLimit() async throws {
    let h = try await Harness.start { $0.maxAttempts = 3 }
    onTeardown { await h.stop() }
    h.fake.setFaults([FakeFault(.serverError, endpoint: "job.list", count: 10)])
    let e = await expectAshbyError { _ = try await h.client.call("job.list") }
    #expect(e?.kind == .api)
    #expect(e?.status == 500)
    #expect(e?.retryable == true)
    #expect(h.fake.count("job.list") == 3)
  }

  @Test func aWriteRateLimitedIsRetriedButA5xxIsNot() async throws {
    let h = try await Harness.start()
    onTeardown { await h.stop() }
    h.fake.setFaults([FakeFault(.rateLimit, endpoint: "candidate.create", count: 2)])
    _ = try await h.client.perform(
      "create_candidate", ["first_name": "R", "last_name": "L", "email": "rl@example.com"])
    #expect(h.fake.count("candidate.create") == 3)
    #expect(h.fake.candidates(withEmail: "rl@example.com") == 1)
    h.fake.setFaults([FakeFault(.serverError, endpoint: "candidate.create", count: 1)])
    let e = await expectAshbyError {
      _ = try await h.client.perform(
        "create_candidate", ["first_name": "S", "last_name": "E", "email": "se@example.com"])
    }
    #expect(e?.kind == .ambiguous)
    #expect(h.fake.count("candidate.create") == 4)
  }

  @Test func aWriteAppliedThenResetIsAmbiguousAndHappensOnce() async throws {
    let h = try await Harness.start()
    onTeardown { await h.stop() }
    h.fake.setFaults([FakeFault(.reset, endpoint: "candidate.create", count: 1)])
    let e = await expectAshbyError {
      _ = try await h.client.perform(
        "create_candidate", ["first_name": "Once", "last_name": "Only", "email": "once@example.com"])
    }
    #expect(e?.kind == .ambiguous)
    #expect(e?.retryable == false)
    #expect(e?.message.contains("may or may not") == true)
    #expect(h.fake.count("candidate.create") == 1)
    #expect(h.fake.candidates(withEmail: "once@example.com") == 1)
  }

  @Test func aReadResetIsRetried() async throws {
    let h = try await Harness.start()
    onTeardown { await h.stop() }
    h.fake.setFaults([FakeFault(.reset, endpoint: "job.list", count: 1)])
    _ = try await h.client.call("job.list")
    #expect(h.fake.count("job.list") == 2)
  }

  @Test func connectionRefusedWritesAreRetriedAsNotSent() async throws {
    var config = AshbyConfiguration(baseURL: URL(string: "http://127.0.0.1:1")!, apiKey: AshbyAPIKey("k-1234"))
    config.baseBackoff = .milliseconds(1)
    config.maxAttempts = 2
    let client = AshbyClient(configuration: config)
    onTeardown { await client.shutdown() }
    let e = await expectAshbyError { _ = try await client.call("candidate.create", ["name": "x"]) }
    #expect(e?.kind == .network)
    #expect(e?.retryable == true)
    #expect(client.requestsSent == 2)
  }

  @Test func slowBodiesAndRequestTimeouts() async throws {
    let h = try await Harness.start {
      $0.requestTimeout = .milliseconds(300); $0.maxAttempts = 1
    }
    onTeardown { await h.stop() }
    h.fake.setFaults([FakeFault(.slowBody, endpoint: "job.list", count: 1)])
    let e = await expectAshbyError { _ = try await h.client.call("job.list") }
    #expect(e?.kind == .timeout)
    // A small slow answer that fits the deadline arrives whole.
    let patient = try await Harness.start {
      $0.requestTimeout = .seconds(20); $0.maxAttempts = 1
    }
    onTeardown { await patient.stop() }
    patient.fake.setFaults([FakeFault(.slowBody, endpoint: "apiKey.info", count: 1)])
    let info = try await patient.client.call("apiKey.info")
    #expect(info["title"]?.string == "Fake key")
  }

  @Test func theBudgetHoldsTheRequestPastItForAWindow() async throws {
    let h = try await Harness.start {
      $0.requestsPerMinute = 10
      $0.rateWindow = .seconds(1)
    }
    onTeardown { await h.stop() }
    let start = ContinuousClock.now
    // Eleven at once: the eleventh's slot frees a window after the first answer, however slow that is.
    try await withThrowingTaskGroup(of: Void.self) { group in
      for _ in 0..<11 { group.addTask { _ = try await h.client.call("apiKey.info") } }
      try await group.waitForAll()
    }
    #expect(ContinuousClock.now - start >= .seconds(1))
    // --verbose shows the wait (the CLI logs the client's debug lines).
    #expect(CapturedLogs.shared.all.contains { $0.contains("pacing: waited") && $0.contains("10 requests per 1.0 seconds") })
  }

  @Test func aWriteIsResentOn429PastTheAttemptLimit() async throws {
    let h = try await Harness.start { $0.maxAttempts = 2 }
    onTeardown { await h.stop() }
    h.fake.setFaults([FakeFault(.rateLimit, endpoint: "candidate.create", count: 6)])
    _ = try await h.client.perform(
      "create_candidate", ["first_name": "Many", "last_name": "Tries", "email": "tries@example.com"])
    #expect(h.fake.count("candidate.create") == 7)
    #expect(h.fake.candidates(withEmail: "tries@example.com") == 1)
  }

  @Test func endpointNamesAreChecked() async throws {
    let h = try await Harness.start()
    onTeardown { await h.stop() }
    let e = await expectAshbyError { _ = try await h.client.call("../etc/passwd") }
    #expect(e?.kind == .argument)
    let missing = await expectAshbyError { _ = try await h.client.call("nothing.here") }
    #expect(missing?.kind == .notFound)
    #expect(missing?.status == 404)
  }
}
