import AshbyCatalog
import AshbyJSON
import Foundation

/// A hook's webhooks in Ashby (one per event type, each delivering to the
/// hook's URL signed with its secret): made all or none, read, deleted.
/// What `hook register`, `hook list` and `hook unregister` do, with a client
/// and no Lua.
public struct WebhookRegistrar: Sendable {
  let client: AshbyClient

  public init(client: AshbyClient) { self.client = client }

  /// The event types a hook of `events` (empty: every one) registers: those Ashby accepts.
  public static func types(for events: Set<String>) -> [String] {
    let accepted = Catalog.registrableWebhookTypes
    return (events.isEmpty ? accepted : events.sorted()).filter(accepted.contains)
  }

  /// Makes the webhooks and keeps their record and the secret (`HookRegistration`).
  /// All or nothing: when one cannot be made, or the record cannot be kept,
  /// those made are deleted again and the error is thrown.
  public func register(_ name: String, url: String, types: [String], secret: String) async throws -> HookRegistration {
    var made: [(id: String, type: String)] = []
    do {
      for type in types {
        let answer = try await client.call(
          "webhook.create",
          .object(["webhookType": .string(type), "requestUrl": .string(url), "secretToken": .string(secret)]))
        made.append((answer["id"]?.string ?? "", type))
      }
      let registration = HookRegistration(name: name, url: url, webhooks: made)
      try registration.save(secret: secret)
      return registration
    } catch {
      for webhook in made { _ = try? await client.call("webhook.delete", .object(["webhookId": .string(webhook.id)])) }
      throw error
    }
  }

  /// Whether Ashby has the webhook enabled: `yes`, `no`, `gone from Ashby`, or `unknown (KIND)`.
  public func state(of id: String) async -> String {
    do {
      let info = try await client.call("webhook.info", .object(["webhookId": .string(id)]))
      return info["enabled"]?.bool.map { $0 ? "yes" : "no" } ?? "?"
    } catch {
      return error.code == "webhook_not_found" ? "gone from Ashby" : "unknown (\(error.kind.rawValue))"
    }
  }

  /// Deletes the registration's webhooks (one gone already counts as deleted),
  /// then its record and secret if every one went; what could not be deleted.
  public func unregister(_ registration: HookRegistration) async -> [String] {
    var failed: [String] = []
    for webhook in registration.webhooks {
      do {
        _ = try await client.call("webhook.delete", .object(["webhookId": .string(webhook.id)]))
      } catch where error.code == "webhook_not_found" {
      } catch {
        failed.append("\(webhook.id) (\(webhook.type)): \(error)")
      }
    }
    if failed.isEmpty { HookRegistration.remove(registration.name) }
    return failed
  }
}
