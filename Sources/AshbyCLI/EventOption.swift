import AshbyCatalog
import AshbyJSON
import AshbyPaths
import AshbyProcess
import AshbyScripting
import AshbyWebhook
import Foundation

/// `run --event FILE_OR_TYPE`: the delivery a hook script answers, for a run by hand. A file holds a
/// webhook body as Ashby POSTs it; a webhook type asks the fake Ashby for a sample from its data.
package enum EventOption {
  package enum Source {
    case delivery(WebhookDelivery)
    case sample(type: String)
  }

  struct Refused: Error, CustomStringConvertible {
    var description: String
  }

  /// Payload files are small; one past this is not a webhook body.
  static let maxBytes = 4 << 20

  package static func resolve(_ given: String) throws -> Source {
    if FileManager.default.fileExists(atPath: given) { return .delivery(try delivery(file: given)) }
    if WebhookDelivery.types.contains(given) || given == WebhookDelivery.ping { return .sample(type: given) }
    // A name with a "/" or a "." is a file that is not there, not a mistyped type.
    if given.contains("/") || given.contains(".") { throw Refused(description: "--event \(given): no such file") }
    let hint = Suggestion.closest(given, WebhookDelivery.types + [WebhookDelivery.ping]).map { " (did you mean \($0)?)" } ?? ""
    throw Refused(description: "--event \(given): no such file, and not a webhook type\(hint)")
  }

  /// A body from a file: `action` is needed; a `webhookActionId` is made up when it has none.
  static func delivery(file: String) throws -> WebhookDelivery {
    let bytes: [UInt8]
    switch BoundedFile.read(path: file, limit: maxBytes) {
    case .success(let read): bytes = read
    case .failure(.tooLarge): throw Refused(description: "--event \(file): larger than \(maxBytes >> 20) MB: not a webhook body")
    case .failure(.notRegular(let kind)): throw Refused(description: "--event \(file): not a regular file (\(kind))")
    case .failure(let refusal): throw Refused(description: "--event \(file): \(refusal.systemReason ?? "cannot be read")")
    }
    guard case .object(var body)? = try? JSONValue.decode(Data(bytes)) else {
      throw Refused(description: "--event \(file): not a JSON object")
    }
    guard body["action"]?.string != nil else {
      throw Refused(
        description: #"--event \#(file): a webhook body needs "action", like {"action": "applicationSubmit", "data": {...}}"#)
    }
    if body["webhookActionId"]?.string == nil { body["webhookActionId"] = .string("file-\(UUID().uuidString.lowercased())") }
    do {
      return try WebhookDelivery(hook: "run", body: JSONValue.object(body).encoded(), receivedAt: Date())
    } catch {
      throw Refused(description: "--event \(file): \(error)")
    }
  }
}
