import AshbyCatalog
import AshbyJSON
import AshbyTestSupport
import Foundation
#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif
import Testing

@testable import AshbyFake

/// The fake on its own, over HTTP on loopback: the contract every other test leans on.
@Suite(.teardown) struct FakeAshbyTests {
  /// POSTs `body` to `/<endpoint>` with a key; the status and the decoded answer.
  static func call(
    _ fake: FakeAshby, _ endpoint: String, _ body: String, key: String? = FakeAshby.fullKey,
    contentType: String = "application/json"
  ) async throws -> (status: Int, answer: JSONValue, headers: [AnyHashable: Any]) {
    var request = URLRequest(url: fake.baseURL.appendingPathComponent(endpoint))
    request.httpMethod = "POST"
    request.httpBody = Data(body.utf8)
    request.setValue(contentType, forHTTPHeaderField: "Content-Type")
    if let key { request.setValue(FakeAshby.basic(key), forHTTPHeaderField: "Authorization") }
    let (data, response) = try await URLSession.shared.data(for: request)
    let http = try #require(response as? HTTPURLResponse)
    return (http.statusCode, (try? JSONValue.decode(data)) ?? .null, http.allHeaderFields)
  }

  static func start(_ configure: (inout FakeAshby.Options) -> Void = { _ in }) async throws -> FakeAshby {
    var options = FakeAshby.Options()
    configure(&options)
    let fake = try await FakeAshby.start(options)
    onTeardown { await fake.stop() }
    return fake
  }

  @Test func everyModelledEndpointIsOneAshbyHas() {
    for name in FakeStore.endpoints.keys {
      #expect(Catalog.endpoint(name) != nil || FakeStore.beyondCatalog.contains(name), "\(name)")
    }
    #expect(FakeStore.beyondCatalog.allSatisfy { Catalog.endpoint($0) == nil && FakeStore.endpoints[$0] != nil })
  }

  @Test func answersInAshbysEnvelope() async throws {
    let fake = try await Self.start()
    let job = fake.seedIDs("job")[0]
    let found = try await Self.call(fake, "job.info", #"{"id":"\#(job)"}"#)
    #expect(found.status == 200 && found.answer["success"] == true && found.answer["results"]?["id"]?.string == job)
    // An Ashby error is HTTP 200 with success false and errorInfo.
    let missing = try await Self.call(fake, "job.info", #"{"id":"job-nope"}"#)
    #expect(missing.status == 200 && missing.answer["success"] == false)
    #expect(missing.answer["errorInfo"]?["code"] == "job_not_found")
    let required = try await Self.call(fake, "job.info", "{}")
    #expect(required.answer["errorInfo"]?["code"] == "invalid_input")
    #expect(required.answer["errorInfo"]?["message"]?.string?.contains("id") == true)
    // A body that is not a JSON object, or not JSON, or not sent as JSON.
    for (body, type) in [("[1]", "application/json"), ("{", "application/json"), ("{}", "text/plain")] {
      let bad = try await Self.call(fake, "job.list", body, contentType: type)
      #expect(bad.status == 200 && bad.answer["errorInfo"]?["code"] == "invalid_input", "\(body) \(type)")
    }
    // In the catalog but not modelled, and not Ashby's at all.
    let unmodelled = try await Self.call(fake, "approval.list", "{}")
    #expect(unmodelled.answer["errorInfo"]?["message"]?.string?.contains("does not model") == true)
    #expect(try await Self.call(fake, "nothing.here", "{}").status == 404)
  }

  @Test func keysAreCheckedAsAshbyDoes() async throws {
    let fake = try await Self.start()
    #expect(try await Self.call(fake, "job.list", "{}", key: nil).status == 401)
    #expect(try await Self.call(fake, "job.list", "{}", key: "not-a-key").status == 403)
    let readOnlyWrite = try await Self.call(fake, "candidate.create", #"{"name":"A"}"#, key: FakeAshby.readOnlyKey)
    #expect(readOnlyWrite.status == 403 && readOnlyWrite.answer["errorInfo"]?["code"] == "missing_endpoint_permission")
    #expect(try await Self.call(fake, "job.list", "{}", key: FakeAshby.readOnlyKey).status == 200)
  }

  /// Cursor pages, then a sync token that returns only what changed since, until tokens expire.
  @Test func pagesAndSyncTokens() async throws {
    let fake = try await Self.start()
    var ids: [String] = []
    var cursor: String?
    var token: String?
    repeat {
      let body = cursor.map { #"{"limit":25,"cursor":"\#($0)"}"# } ?? #"{"limit":25}"#
      let page = try await Self.call(fake, "candidate.list", body).answer
      ids += page["results"]?.array?.compactMap { $0["id"]?.string } ?? []
      cursor = page["nextCursor"]?.string
      token = page["syncToken"]?.string
      #expect(page["moreDataAvailable"]?.bool == (cursor != nil))
    } while cursor != nil
    #expect(ids == fake.seedIDs("candidate") && Set(ids).count == ids.count)
    let synced = try #require(token)
    let made = try await Self.call(fake, "candidate.create", #"{"name":"Grace Hopper","email":"grace@example.org"}"#)
    let newID = try #require(made.answer["results"]?["id"]?.string)
    let changes = try await Self.call(fake, "candidate.list", #"{"syncToken":"\#(synced)"}"#).answer
    #expect(changes["results"]?.array?.compactMap { $0["id"]?.string } == [newID])
    fake.expireSyncTokens()
    let expired = try await Self.call(fake, "candidate.list", #"{"syncToken":"\#(synced)"}"#).answer
    #expect(expired["errorInfo"]?["code"] == "sync_token_expired")
    let badCursor = try await Self.call(fake, "candidate.list", #"{"cursor":"zz"}"#).answer
    #expect(badCursor["errorInfo"]?["code"] == "invalid_next_cursor")
  }

  /// A sliding window counted at arrival: the request past the limit gets 429 and whole seconds to wait.
  @Test func theRateLimitIsASlidingWindow() async throws {
    let fake = try await Self.start { $0.rateLimit = FakeRateLimit(limit: 3, window: .seconds(60), headers: true) }
    for _ in 0..<3 { #expect(try await Self.call(fake, "job.list", #"{"limit":1}"#).status == 200) }
    let refused = try await Self.call(fake, "job.list", #"{"limit":1}"#)
    #expect(refused.status == 429 && refused.answer["errorInfo"]?["code"] == "rate_limit_exceeded")
    let wait = Int(refused.headers["Retry-After"] as? String ?? "") ?? 0
    #expect((1...61).contains(wait), "Retry-After \(wait)")
    #expect(refused.headers["X-RateLimit-Remaining"] as? String == "0")
    #expect(fake.rateLimitedCount == 1)
  }

  /// A time filter takes milliseconds; anything else is Ashby's `invalid_input`.
  @Test func timeFiltersTakeWholeMilliseconds() async throws {
    let fake = try await Self.start()
    let all = try await Self.call(fake, "application.list", #"{"limit":100,"createdAfter":0}"#).answer
    #expect(all["results"]?.array?.count == 100)
    let none = try await Self.call(fake, "application.list", #"{"createdAfter":4102444800000}"#).answer
    #expect(none["results"]?.array?.isEmpty == true)
    for bad in [#""2026-01-01""#, "1.5", "true", "null"] {
      let refused = try await Self.call(fake, "application.list", #"{"createdAfter":\#(bad)}"#).answer
      #expect(refused["errorInfo"]?["code"] == "invalid_input", "\(bad)")
    }
  }

  /// Ashby's webhook retries: never after 401, 403, 404, 405 or 410; up to ten attempts otherwise.
  @Test func webhooksAreRetriedAsAshbyRetriesThem() async throws {
    let fake = try await Self.start { $0.webhookTimeScale = 0 }
    // The fake's own endpoint answers an unsigned, keyless POST with 401: dropped after one attempt.
    let final = fake.baseURL.appendingPathComponent("job.list").absoluteString
    // The fake's upload URL answers a POST that is not a form with 400: retried, every attempt made.
    let retriedURL = fake.baseURL.appendingPathComponent("_upload/none").absoluteString
    #expect(fake.registerWebhook(type: "applicationSubmit", url: final, secret: "s1") != nil)
    #expect(fake.registerWebhook(type: "applicationSubmit", url: retriedURL, secret: "s2") != nil)
    #expect(fake.registerWebhook(type: "notAType", url: final, secret: "s") == nil)
    #expect(fake.registeredWebhooks.count == 2)
    let candidate = fake.seedIDs("candidate")[0], job = fake.seedIDs("job")[0]
    let made = try await Self.call(fake, "application.create", #"{"candidateId":"\#(candidate)","jobId":"\#(job)"}"#)
    #expect(made.answer["success"] == true, "\(made.answer)")
    let deadline = ContinuousClock.now + .seconds(60)
    while fake.webhookAttempts.filter({ $0.url == retriedURL }).count < FakeWebhookSender.attempts,
      ContinuousClock.now < deadline
    {
      try await Task.sleep(for: .milliseconds(50))
    }
    let attempts = fake.webhookAttempts
    #expect(attempts.filter { $0.url == final }.map(\.status) == [401])
    let retried = attempts.filter { $0.url == retriedURL }
    #expect(retried.count == FakeWebhookSender.attempts && retried.allSatisfy { $0.status == 400 }, "\(attempts)")
    // Every attempt of one event carries its one id.
    #expect(Set(attempts.map(\.webhookActionId)).count == 1)
    #expect(attempts.allSatisfy { $0.action == "applicationSubmit" })
  }

  /// The waits between Ashby's attempts: (2^k − 1) × 10 s before retry k.
  @Test func retryWaitsFollowAshbysSchedule() {
    let sender = FakeWebhookSender(timeScale: 1)
    #expect((1...9).map { sender.delay(beforeRetry: $0) } == (1...9).map { .seconds(((1 << $0) - 1) * 10) })
  }
}
