import AshbyFake
import Foundation
import Testing

@testable import AshbyKit
import AshbyTestSupport

/// Runs after the others in this file's suite order is not guaranteed, so it
/// drives its own traffic through every error path, then scans everything.
@Suite(.teardown) struct SecretTests {
  @Test func theKeyNeverAppearsInLogsOrErrors() async throws {
    let h = try await Harness.start()
    onTeardown { await h.stop() }
    let key = try #require(AshbyAPIKey(FakeAshby.fullKey))
    #expect("\(key)" == "••••0001")
    #expect(String(reflecting: key) == "••••0001")
    #expect(!"\(h.client.configuration)".contains(FakeAshby.fullKey))
    h.fake.setFaults([FakeFault(.serverError, count: 2), FakeFault(.reset, endpoint: "candidate.create", count: 1)])
    _ = try await h.client.call("job.list")
    _ = await expectAshbyError { _ = try await h.client.call("candidate.create", ["name": "x"]) }
    _ = await expectAshbyError { _ = try await h.client.perform("get_job", ["job_id": "missing"]) }
    let wrong = try await Harness.start(key: "wrong-key-abcdef")
    _ = await expectAshbyError { _ = try await wrong.client.call("job.list") }
    await wrong.stop()
    let texts = CapturedLogs.shared.all + SeenErrors.shared.all
    #expect(!texts.isEmpty)
    for text in texts {
      #expect(!key.appears(in: text), "the key leaked: \(text)")
      #expect(!text.contains("wrong-key-abcdef"))
      #expect(!text.contains(Data("\(FakeAshby.fullKey):".utf8).base64EncodedString()))
    }
  }
}
