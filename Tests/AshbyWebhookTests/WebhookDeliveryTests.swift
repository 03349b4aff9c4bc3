import AshbyJSON
import AshbyWebhook
import Foundation
import Testing

/// The one delivery type: read from Ashby's body, and carried (to the state,
/// to a run's input) without losing a byte.
@Suite struct WebhookDeliveryTests {
  static let when = Date(timeIntervalSince1970: 1_780_000_000)

  @Test func aBodyIsReadAndKeptAsSent() throws {
    let body = WebhookDelivery.body(webhookActionId: "a-1", action: "applicationSubmit", data: .object(["x": .int(2)]))
    let d = try WebhookDelivery(hook: "h", body: body, receivedAt: Self.when)
    #expect(d.webhookActionId == "a-1" && d.action == "applicationSubmit" && d.hook == "h")
    #expect(d.body == body)
    #expect(d.data == .object(["x": .int(2)]))
    #expect(d.summary == "applicationSubmit a-1")
  }

  @Test(arguments: [
    ("not json", "not JSON"), ("[1]", "not a JSON object"), ("{\"webhookActionId\": \"x\"}", "\"action\""),
    ("{\"action\": \"ping\"}", "\"webhookActionId\""), ("{\"action\": 3, \"webhookActionId\": \"x\"}", "\"action\""),
  ])
  func aBodyThatIsNotADeliveryIsRefusedSayingWhy(body: String, says: String) {
    #expect {
      _ = try WebhookDelivery(hook: "h", body: Data(body.utf8), receivedAt: Self.when)
    } throws: { "\($0)".contains(says) }
  }

  @Test func anOverlongIdIsRefused() {
    let body = WebhookDelivery.body(webhookActionId: String(repeating: "x", count: 201), action: "ping", data: .null)
    #expect(throws: WebhookDelivery.Malformed.self) { _ = try WebhookDelivery(hook: "h", body: body, receivedAt: Self.when) }
  }

  /// Bytes that are not UTF-8 survive the trip as JSON (a run's input): the body is data, not text.
  @Test func theCodableFormKeepsEveryByte() throws {
    let d = WebhookDelivery(
      hook: "h", webhookActionId: "b", action: "ping", receivedAt: Self.when, body: Data([0x7B, 0xFF, 0x00, 0x7D]))
    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .iso8601
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    #expect(try decoder.decode(WebhookDelivery.self, from: encoder.encode(d)) == d)
  }
}
