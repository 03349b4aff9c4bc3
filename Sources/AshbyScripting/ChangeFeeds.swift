import AshbyJSON
import AshbyWebhook
import Foundation
import LuaHost
import Synchronization

/// Where `ashby.changes` keeps its place between runs: the sync token each
/// endpoint's feed had reached when the last successful run ended.
///
/// The session only reads the tokens it was given and collects the ones it
/// reaches; whoever started the run stores them, and only when the run ended
/// `ok` (the daemon, or `ashby-lua run --feed NAME`), so a failed run sees
/// the same changes again.
public final class ChangeFeeds: Sendable {
  /// The name the tokens are kept under (a job's, a hook's, `--feed NAME`); nil: nowhere, `ashby.changes` refuses.
  public let state: String?
  private let tokens: [String: String]
  private let reachedTokens = Mutex<[String: String]>([:])

  public init(state: String?, tokens: [String: String] = [:]) {
    self.state = state
    self.tokens = tokens
  }

  /// The token the last successful run reached for `endpoint`, if any.
  func token(for endpoint: String) -> String? { tokens[endpoint] }

  /// A feed of `endpoint` was read to its end: `token` asks for what changes after.
  func reached(_ endpoint: String, token: String) { reachedTokens.withLock { $0[endpoint] = token } }

  /// Endpoint → token, for the feeds this run read to the end.
  public var reached: [String: String] { reachedTokens.withLock { $0 } }
}

/// What a hook's script sees of its delivery.
extension WebhookDelivery {
  /// The payload as the script's `...`: the body, decoded.
  public var payload: LuaValue {
    (try? JSONValue.decode(body)).map(JSONBridge.lua) ?? .nil
  }

  /// `ashby.event`: `action`, `data`, `webhook_action_id`, `received_at` (ISO 8601, UTC), `hook`.
  var luaValue: LuaValue {
    .object([
      "hook": .string(hook), "action": .string(action), "webhook_action_id": .string(webhookActionId),
      "received_at": .string(ISO8601DateFormatter().string(from: receivedAt)), "data": JSONBridge.lua(data),
    ])
  }
}
