import AshbyCatalog
import AshbyJSON
import Foundation

/// One webhook delivery, from the listener to the script: what Ashby sent
/// (`{"webhookActionId", "action", "data"}`, verified), to which hook, when.
/// The one type for it: the state stores it, the daemon hands it to the run
/// on a descriptor (`RunInput`), and the script sees a view of it (`...`,
/// `ashby.event`).
public struct WebhookDelivery: Codable, Sendable, Equatable {
  /// The hook it came to (`/hooks/<name>`).
  public var hook: String
  /// The same across Ashby's retries of one event: the deduplication key.
  public var webhookActionId: String
  /// The `webhookType` (`applicationSubmit`, ...), or `ping`.
  public var action: String
  public var receivedAt: Date
  /// The body as Ashby sent it, byte for byte: what the signature covered.
  public var body: Data

  public init(hook: String, webhookActionId: String, action: String, receivedAt: Date, body: Data) {
    self.hook = hook
    self.webhookActionId = webhookActionId
    self.action = action
    self.receivedAt = receivedAt
    self.body = body
  }

  /// Why a body is not a delivery.
  public struct Malformed: Error, CustomStringConvertible {
    public var description: String
  }

  /// Reads a body already verified; a delivery needs `action` and `webhookActionId` as strings.
  public init(hook: String, body: Data, receivedAt: Date) throws(Malformed) {
    guard let value = try? JSONValue.decode(body) else { throw Malformed(description: "the body is not JSON") }
    guard case .object(let fields) = value else { throw Malformed(description: "the body is not a JSON object") }
    guard let action = fields["action"]?.string, !action.isEmpty else {
      throw Malformed(description: "the body has no \"action\" string")
    }
    guard let id = fields["webhookActionId"]?.string, !id.isEmpty, id.count <= 200 else {
      throw Malformed(description: "the body has no \"webhookActionId\" string")
    }
    self.init(hook: hook, webhookActionId: id, action: action, receivedAt: receivedAt, body: body)
  }

  /// The body Ashby sends for an event. Each call encodes anew, and object
  /// keys come in no fixed order: encode once, then sign and send those bytes.
  public static func body(webhookActionId: String, action: String, data: JSONValue) -> Data {
    JSONValue.object(["webhookActionId": .string(webhookActionId), "action": .string(action), "data": data]).encoded()
  }

  /// The body's `data` (an empty object when it has none).
  public var data: JSONValue { (try? JSONValue.decode(body))?["data"] ?? .object([:]) }

  /// How the history names the event: its type and its id.
  public var summary: String { Self.summary(action: action, webhookActionId: webhookActionId) }
  public static func summary(action: String, webhookActionId: String) -> String { "\(action) \(webhookActionId)" }

  /// The event types Ashby sends (`webhookType`); `ping` tests an endpoint.
  public static var types: [String] { Catalog.webhookTypes }
  public static let ping = "ping"
}
