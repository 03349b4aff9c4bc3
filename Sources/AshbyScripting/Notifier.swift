import AshbyJSON
import AshbyKit
import AsyncHTTPClient
import Foundation
import LuaHost
import NIOCore

/// `ashby.notify(target, message)`: a script names a target; the host knows where it goes. The
/// target's URL is a secret (a Slack, Teams or Google Chat incoming webhook, or any HTTPS endpoint
/// taking JSON), configured as `[notify.NAME]` with `url_env` or `url_command`, resolved by the host
/// when the script posts, never shown to the script: a sandboxed script can report without network
/// access of its own.
public struct Notifier: Sendable {
  /// The URL of a target by name; throws with a message naming what is missing.
  public typealias Resolve = @Sendable (String) throws -> URL
  let resolve: Resolve
  let dryRun: Bool

  public init(dryRun: Bool, resolve: @escaping Resolve) {
    self.resolve = resolve
    self.dryRun = dryRun
  }

  /// A message as a target takes it: text goes as `{"text": ...}` (what Slack, Teams and Google Chat
  /// read); a table goes as its JSON, for an endpoint with its own shape.
  static func body(_ message: LuaValue) throws(AshbyError) -> JSONValue {
    if case .string(let text) = message { return ["text": .string(text)] }
    let json = try JSONBridge.json(message, path: "message", action: "notify")
    guard case .object = json else {
      throw AshbyError.argument("message", "\"message\" must be text or a table", action: "notify")
    }
    return json
  }

  /// Posts; under --dry-run, says what would go where and sends nothing.
  func post(target: String, body: JSONValue) async throws -> [LuaValue] {
    let url: URL
    do {
      url = try resolve(target)
    } catch {
      throw AshbyError.argument("target", "\(error)", action: "notify")
    }
    if dryRun {
      Console.error("ashby.notify: dry run: would post to \(target): \(Self.preview(body))")
      return [.boolean(false)]
    }
    var request = HTTPClientRequest(url: url.absoluteString)
    request.method = .POST
    request.headers.add(name: "Content-Type", value: "application/json")
    request.body = .bytes(ByteBuffer(bytes: body.encodedBytes()))
    let http = HTTPClient(eventLoopGroupProvider: .singleton)
    let status: Int
    do {
      let response = try await http.execute(request, timeout: .seconds(15))
      status = Int(response.status.code)
      _ = try? await response.body.collect(upTo: 1 << 16)
      try? await http.shutdown()
    } catch {
      try? await http.shutdown()
      // The URL is a secret: the error names the target, never the address.
      throw AshbyError(.network, "\(target) could not be reached", action: "notify", retryable: true)
    }
    guard (200..<300).contains(status) else {
      throw AshbyError(.api, "\(target) answered HTTP \(status)", code: "notify_failed", action: "notify", status: status)
    }
    return [.boolean(true)]
  }

  static func preview(_ body: JSONValue) -> String {
    let text = body["text"]?.string ?? String(decoding: body.encodedBytes(), as: UTF8.self)
    return text.count > 200 ? String(text.prefix(200)) + "…" : text
  }
}
