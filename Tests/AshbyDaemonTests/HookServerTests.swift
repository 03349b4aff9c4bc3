import AshbyScheduler
import AshbySignature
import AshbyState
import AshbyTestSupport
import AshbyWebhook
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import AshbyDaemon

/// The listener in-process (HummingbirdTesting, no socket): what it answers
/// Ashby, and what it stores before it answers 2xx.
@Suite struct HookServerTests {
  static let secret = "hook-secret-for-tests"

  /// A listener with one signed hook `h` (secret in `S`) over a fresh state.
  static func server() throws -> (HookServer, StateStore) {
    let store = try FreshState.open(
      try FreshState.make(
        sqlite: FileManager.default.temporaryDirectory.appendingPathComponent("d-\(UUID().uuidString)/s.sqlite").path))
    let job = ScheduledJob(name: "h", script: "/dev/null", cron: try CronExpression("@daily"), timeZone: .gmt)
    let hook = Hook(name: "h", events: ["applicationSubmit"], secret: .environment("S"), job: job)
    let server = try HookServer(
      hooks: [hook], history: store, owner: "test", environment: ["S": secret], onAccepted: {}, log: { _ in })
    return (server, store)
  }

  static func body(_ id: String, action: String = "applicationSubmit") -> ByteBuffer {
    ByteBuffer(bytes: WebhookDelivery.body(webhookActionId: id, action: action, data: .object(["n": .int(1)])))
  }

  static func signed(_ body: ByteBuffer, secret: String = secret) -> HTTPFields {
    var fields = HTTPFields()
    for field in SignedDelivery(body: Data(buffer: body), secret: secret).headers {
      if let name = HTTPField.Name(field.name) { fields[name] = field.value }
    }
    return fields
  }

  @Test func aSignedDeliveryIsStoredBeforeItsTwoHundredAndOnlyOnce() async throws {
    let (server, store) = try Self.server()
    let id = UUID().uuidString
    let body = Self.body(id)
    try await server.application().test(.router) { client in
      for expected in ["accepted", "duplicate"] {
        try await client.execute(uri: "/hooks/h", method: .post, headers: Self.signed(body), body: body) { response in
          #expect(response.status == .ok)
          #expect(String(buffer: response.body).contains(expected))
        }
      }
    }
    let pending = try store.pendingDeliveries()
    #expect(pending.map(\.delivery.webhookActionId) == [id])
    #expect(pending.first?.delivery.body == Data(buffer: body))  // the bytes Ashby sent, as signed
    #expect(pending.first?.delivery.hook == "h")
  }

  @Test func whatAshbyMustNotRetryIsAFourHundredAndStoresNothing() async throws {
    let (server, store) = try Self.server()
    let body = Self.body(UUID().uuidString)
    try await server.application().test(.router) { client in
      try await client.execute(uri: "/hooks/h", method: .post, headers: Self.signed(body, secret: "wrong"), body: body) {
        #expect($0.status == .unauthorized)
      }
      try await client.execute(uri: "/hooks/h", method: .post, body: body) { #expect($0.status == .unauthorized) }
      try await client.execute(uri: "/hooks/nobody", method: .post, headers: Self.signed(body), body: body) {
        #expect($0.status == .notFound)
      }
      try await client.execute(uri: "/hooks/h", method: .delete) { response in
        #expect(response.status == .methodNotAllowed)
        #expect(response.headers[.allow] == "POST")
      }
      let junk = ByteBuffer(string: "{not json")
      try await client.execute(uri: "/hooks/h", method: .post, headers: Self.signed(junk), body: junk) {
        #expect($0.status == .badRequest)
      }
      try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
    }
    #expect(try store.pendingDeliveries().isEmpty)
  }

  @Test func aPingAndAnUnwantedTypeAreAnsweredAndRemembered() async throws {
    let (server, store) = try Self.server()
    let ping = Self.body("ping-1", action: WebhookDelivery.ping)
    let other = Self.body("other-1", action: "candidateHire")
    try await server.application().test(.router) { client in
      try await client.execute(uri: "/hooks/h", method: .post, headers: Self.signed(ping), body: ping) {
        #expect(String(buffer: $0.body).contains("pong"))
      }
      try await client.execute(uri: "/hooks/h", method: .post, headers: Self.signed(other), body: other) {
        #expect(String(buffer: $0.body).contains("ignored"))
      }
    }
    #expect(try store.pendingDeliveries().isEmpty)
    #expect(try store.runs(hook: "h").map(\.status) == [.skipped, .skipped])
  }
}
