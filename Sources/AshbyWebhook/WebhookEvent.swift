import AshbyCatalog
import AshbyJSON
import Foundation

/// One webhook delivery as Ashby sends it: `{"webhookActionId", "action", "data"}`.
public struct WebhookEvent: Sendable, Equatable {
  /// The same across Ashby's retries of one event: the deduplication key.
  public var webhookActionId: String
  /// The `webhookType` (`applicationSubmit`, ...), or `ping`.
  public var action: String
  public var data: JSONValue

  public init(webhookActionId: String, action: String, data: JSONValue) {
    self.webhookActionId = webhookActionId
    self.action = action
    self.data = data
  }

  /// Why a body is not a delivery.
  public struct Malformed: Error, CustomStringConvertible {
    public var description: String
  }

  /// Reads a body already verified; a delivery needs `action` and `webhookActionId` as strings.
  public init(parsing body: Data) throws(Malformed) {
    let value: JSONValue
    do {
      value = try JSONValue.decode(body)
    } catch {
      throw Malformed(description: "the body is not JSON")
    }
    guard case .object(let fields) = value else { throw Malformed(description: "the body is not a JSON object") }
    guard let action = fields["action"]?.string, !action.isEmpty else {
      throw Malformed(description: "the body has no \"action\" string")
    }
    guard let id = fields["webhookActionId"]?.string, !id.isEmpty, id.count <= 200 else {
      throw Malformed(description: "the body has no \"webhookActionId\" string")
    }
    self.init(webhookActionId: id, action: action, data: fields["data"] ?? .object([:]))
  }

  /// The body Ashby would send. Each call encodes anew, and object keys come
  /// in no fixed order: encode once, then sign and send those same bytes.
  public var body: Data {
    JSONValue.object(["webhookActionId": .string(webhookActionId), "action": .string(action), "data": data]).encoded()
  }

  /// The event types Ashby sends (`webhookType`); `ping` tests an endpoint.
  public static var types: [String] { Catalog.webhookTypes }
  public static let ping = "ping"
}
