import AshbyJSON
import AshbySignature
import AshbyWebhook
import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization

/// The fake's webhooks, as Ashby keeps them: `webhook.create/info/update/delete`
/// register a URL and a secret per event type; a change to the fake's state
/// (an application submitted, a stage changed, a hire, an interview
/// scheduled) is POSTed, signed, to every enabled webhook of its type, and
/// sent again with the same `webhookActionId` as Ashby sends it again
/// (shared/ashby-api.md): at most 10 attempts, the k-th retry (2^k − 1) × 10 s
/// after the one before, and never after 401, 403, 404, 405 or 410.
final class FakeWebhookSender: Sendable {
  /// One POST the fake made, for tests.
  struct Attempt: Sendable {
    var url: String
    var action: String
    var webhookActionId: String
    /// The HTTP status, or 0 when the connection failed.
    var status: Int
  }

  /// Ashby's attempts per delivery, the first included.
  static let attempts = 10
  /// The answers Ashby takes as final: the event is dropped.
  static let neverRetried: Set<Int> = [401, 403, 404, 405, 410]
  /// Ashby's waits multiplied by this (`FakeAshby.Options.webhookTimeScale`).
  let timeScale: Double
  private let client = Mutex<HTTPClient?>(nil)
  private let log = Mutex<[Attempt]>([])
  private let inFlight = Mutex<[UUID: Task<Void, Never>]>([:])

  init(timeScale: Double = 1) { self.timeScale = max(0, min(1, timeScale)) }

  /// The wait before retry `k` (from 1): (2^k − 1) × 10 s, scaled.
  func delay(beforeRetry k: Int) -> Duration {
    .milliseconds(Int64((Double((1 << k) - 1) * 10_000 * timeScale).rounded()))  // k ≤ 9: at most 5110 s
  }

  private var http: HTTPClient {
    client.withLock { c in
      if let c { return c }
      let made = HTTPClient(eventLoopGroupProvider: .singleton)
      c = made
      return made
    }
  }

  var attemptsMade: [Attempt] { log.withLock { $0 } }

  /// Sends `event` to each target in the background.
  func send(_ event: FakeData.Outgoing, to targets: [(url: String, secret: String)]) {
    for target in targets {
      let id = UUID()
      let task = Task {
        await self.deliver(event, url: target.url, secret: target.secret)
        _ = self.inFlight.withLock { $0.removeValue(forKey: id) }
      }
      inFlight.withLock { $0[id] = task }
    }
  }

  private func deliver(_ event: FakeData.Outgoing, url: String, secret: String) async {
    let body = event.body
    for attempt in 0..<Self.attempts {
      if attempt > 0 {
        try? await Task.sleep(for: delay(beforeRetry: attempt))
        if Task.isCancelled { return }
      }
      let signed = SignedDelivery(body: body, secret: secret)
      var request = HTTPClientRequest(url: url)
      request.method = .POST
      for field in signed.headers { request.headers.add(name: field.name, value: field.value) }
      request.body = .bytes(ByteBuffer(bytes: signed.body))
      var status = 0
      do {
        let response = try await http.execute(request, timeout: .seconds(10))
        status = Int(response.status.code)
        _ = try? await response.body.collect(upTo: 1 << 20)
      } catch {
        status = 0
      }
      log.withLock {
        $0.append(Attempt(url: url, action: event.action, webhookActionId: event.webhookActionId, status: status))
      }
      if (200..<300).contains(status) || Self.neverRetried.contains(status) { return }
    }
  }

  func shutdown() async {
    for task in inFlight.withLock({ Array($0.values) }) { task.cancel() }
    let made = client.withLock { c -> HTTPClient? in
      defer { c = nil }
      return c
    }
    try? await made?.shutdown()
  }
}

extension FakeStore {
  /// `webhook.create`: a URL and a secret for one event type.
  func webhookCreate(_ p: JSONObject) -> FakeAnswer {
    guard let type = p["webhookType"]?.string, WebhookDelivery.types.contains(type) else {
      return .failure(code: "invalid_input", message: "webhookType is not a webhook type")
    }
    guard let url = p["requestUrl"]?.string, URL(string: url)?.host != nil else {
      return .failure(code: "invalid_input", message: "requestUrl must be a URL")
    }
    guard let secret = p["secretToken"]?.string, !secret.isEmpty else {
      return .failure(code: "invalid_input", message: "secretToken is required")
    }
    let hook: JSONObject = [
      "id": FakeData.id("whk", 1000 + data.webhooks.count), "webhookType": .string(type), "requestUrl": .string(url),
      "secretToken": .string(secret), "enabled": true,
    ]
    data.webhooks.append(hook)
    return .results(Self.shown(hook))
  }

  func webhookInfo(_ p: JSONObject) -> FakeAnswer {
    guard let i = webhookIndex(p) else { return Self.noWebhook }
    return .results(Self.shown(data.webhooks[i]))
  }

  func webhookUpdate(_ p: JSONObject) -> FakeAnswer {
    guard let i = webhookIndex(p) else { return Self.noWebhook }
    for key in ["enabled", "requestUrl", "secretToken"] where p[key] != nil { data.webhooks[i][key] = p[key] }
    return .results(Self.shown(data.webhooks[i]))
  }

  func webhookDelete(_ p: JSONObject) -> FakeAnswer {
    guard let i = webhookIndex(p) else { return Self.noWebhook }
    return .results(Self.shown(data.webhooks.remove(at: i)))
  }

  private func webhookIndex(_ p: JSONObject) -> Int? {
    guard let id = p["webhookId"] else { return nil }
    return data.webhooks.firstIndex { $0["id"] == id }
  }

  private static let noWebhook = FakeAnswer.failure(code: "webhook_not_found", message: "Webhook not found")

  /// A webhook as Ashby shows it: never with its secret.
  static func shown(_ hook: JSONObject) -> JSONObject {
    var shown = hook
    shown["secretToken"] = nil
    return shown
  }

  /// Queues an event for every webhook of `type` (called with the lock held; sent after it is released).
  func emit(_ type: String, _ payload: JSONObject) {
    guard data.webhooks.contains(where: { $0["webhookType"]?.string == type && $0["enabled"] == true }) else { return }
    let id = UUID().uuidString.lowercased()
    data.outbox.append((id, type, WebhookDelivery.body(webhookActionId: id, action: type, data: .object(payload))))
  }

  /// The events queued since the last call, each with where it goes.
  func takeOutbox() -> [(FakeData.Outgoing, [(url: String, secret: String)])] {
    withData { d in
      defer { d.outbox = [] }
      return d.outbox.map { event in
        let targets = d.webhooks.filter {
          $0["webhookType"]?.string == event.action && $0["enabled"] == true
        }.compactMap { h -> (url: String, secret: String)? in
          guard let url = h["requestUrl"]?.string, let secret = h["secretToken"]?.string else { return nil }
          return (url, secret)
        }
        return (event, targets)
      }
    }
  }
}
