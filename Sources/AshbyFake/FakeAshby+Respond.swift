import AshbyCatalog
import AshbyJSON
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension FakeAshby {
  enum Access { case full, readOnly, writesButNotActing }

  /// An answer, with the API version headers Ashby has sent since 2026-10-14:
  /// the version that served it (the one asked for, else the default) and its status.
  func respond(_ request: Request, _ context: FakeRequestContext) async throws -> Response {
    var response = try await answer(request, context)
    let version = request.headers[Self.versionHeader] ?? Self.defaultAPIVersion
    response.headers[Self.versionHeader] = version
    response.headers[Self.versionStatusHeader] = deprecatedVersions.contains(version) ? "deprecated" : "current"
    return response
  }

  func answer(_ request: Request, _ context: FakeRequestContext) async throws -> Response {
    let endpoint = context.parameters.get("endpoint") ?? ""
    let bodyBuffer = try await request.body.collect(upTo: 16 << 20)
    let bodyText = String(buffer: bodyBuffer)
    let arrived = ContinuousClock.now
    let (latency, fault, retryAfter, limit) = state.withLock {
      s -> (Duration, FakeFault.Kind?, String, RateDecision?) in
      s.arrivals += 1
      let limit = s.rateLimit.map { RateDecision($0, admitted: &s.admitted, at: arrived) }
      if limit?.wait != nil { s.rateLimited += 1 }
      return (s.latency, limit?.wait == nil ? Self.pickFault(&s, endpoint: endpoint) : nil, s.retryAfter, limit)
    }
    if latency > .zero { try await Task.sleep(for: latency) }

    var status = 200
    defer {
      if status != 0 {  // a reset was recorded before the connection dropped
        record(
          FakeRequest(
            method: request.method.rawValue, path: request.uri.path, endpoint: endpoint,
            authorization: request.headers[.authorization], contentType: request.headers[.contentType],
            accept: request.headers[.accept], apiVersion: request.headers[Self.versionHeader],
            onBehalfOf: request.headers[Self.onBehalfOfHeader], body: bodyText, status: status))
      }
    }

    switch authorize(request.headers[.authorization], endpoint: endpoint, acting: request.headers[Self.onBehalfOfHeader]) {
    case .some(let denied):
      status = denied.status.code == 401 ? 401 : 403
      return denied
    case .none: break
    }
    if let limit, let wait = limit.wait {
      status = 429
      var headers = limit.headers
      // Whole seconds until a slot frees, at least 1; the wait is under one window, capped at a day.
      let waitMS = min(wait, .seconds(86_400)) / .milliseconds(1)
      headers[.retryAfter] = "\(max(1, Int(waitMS.rounded(.up) / 1000) + 1))"
      return json(429, Self.rateLimited, headers: headers)
    }
    switch fault {
    case .rateLimit, .partnerRateLimit:
      status = 429
      var headers: HTTPFields = [.retryAfter: retryAfter]
      if fault == .partnerRateLimit, let scope = HTTPField.Name("X-RateLimit-Scope") {
        headers[scope] = "integration-partner"
      }
      return json(429, Self.rateLimited, headers: headers)
    case .serverError:
      status = 500
      return json(500, ["success": false, "errorInfo": ["code": "internal_error", "message": "Something went wrong"]])
    case .malformed:
      return Response(
        status: .ok, headers: [.contentType: "application/json"],
        body: .init(byteBuffer: ByteBuffer(string: "{\"success\": tru")))
    default: break
    }
    if let replayer = state.withLock({ $0.replayer }) {
      let recorded = replayer(endpoint, Data(bodyText.utf8))
      status = (100...599).contains(recorded.status) ? recorded.status : 502
      var headers = HTTPFields()
      for (name, value) in recorded.headers { if let field = HTTPField.Name(name) { headers[field] = value } }
      return Response(
        status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: recorded.body)))
    }
    guard request.headers[.contentType]?.hasPrefix("application/json") == true else {
      return envelope(.failure(code: "invalid_input", message: "Content-Type must be application/json"))
    }
    guard let params = (try? JSONValue.decode(Data(buffer: bodyBuffer)))?.object else {
      return envelope(.failure(code: "invalid_input", message: "The body must be a JSON object"))
    }
    let answer =
      endpoint == "apiKey.info"
      ? Self.keyInfo(readOnly: request.headers[.authorization] == Self.basic(Self.readOnlyKey))
      : store.handle(endpoint, params)
    for (event, targets) in store.takeOutbox() { webhooks.send(event, to: targets) }
    if case .http(let code, _, _) = answer { status = code }
    if fault == .reset {
      status = 0
      record(
        FakeRequest(
          method: request.method.rawValue, path: request.uri.path, endpoint: endpoint,
          authorization: request.headers[.authorization], contentType: request.headers[.contentType],
          accept: request.headers[.accept], body: bodyText, status: 0))
      try await context.channel.close()
      throw HTTPError(.internalServerError)
    }
    var response = envelope(answer)
    if let limit { response.headers.append(contentsOf: limit.headers) }
    if fault == .slowBody { return slow(response) }
    return response
  }

  /// The sliding window's say on one request.
  struct RateDecision: Sendable {
    /// Refused: how long until a slot frees.
    var wait: Duration?
    var headers: HTTPFields = [:]

    init(_ limit: FakeRateLimit, admitted: inout [ContinuousClock.Instant], at now: ContinuousClock.Instant) {
      wait = limit.admit(&admitted, at: now)
      guard limit.headers, let name = HTTPField.Name("X-RateLimit-Limit"),
        let remaining = HTTPField.Name("X-RateLimit-Remaining")
      else { return }
      let live = admitted.reversed().prefix { $0 + limit.window > now }.count
      headers[name] = "\(limit.limit)"
      headers[remaining] = "\(max(0, limit.limit - live))"
    }
  }

  /// `apiKey.info`: the key's title and its scopes, in Ashby's `area:level` form.
  static func keyInfo(readOnly: Bool) -> FakeAnswer {
    let permissions = Set(Catalog.endpoints.compactMap(\.permission)).filter { !readOnly || $0.hasSuffix("Read") }
    let scopes = permissions.sorted().map { p -> String in
      let level = p.hasSuffix("Write") ? "write" : "read"
      return "\(p.dropLast(level.count)):\(level)"
    }
    return .results([
      "title": readOnly ? "Fake read-only key" : "Fake key", "createdAt": FakeData.date(daysAgo: 10),
      "scopes": .array(scopes.map(JSONValue.string)),
    ])
  }

  static func basic(_ key: String) -> String { "Basic " + Data("\(key):".utf8).base64EncodedString() }

  func record(_ entry: FakeRequest) { state.withLock { $0.log.append(entry) } }

  static func pickFault(_ s: inout Mutable, endpoint: String) -> FakeFault.Kind? {
    for i in s.faults.indices where s.faults[i].endpoint == nil || s.faults[i].endpoint == endpoint {
      if let count = s.faults[i].count {
        guard count > 0 else { continue }
        s.faults[i].count = count - 1
        return s.faults[i].kind
      }
      if Double(s.rng.next() % 1_000_000) / 1_000_000 < s.faults[i].rate { return s.faults[i].kind }
    }
    return nil
  }

  /// nil when the key may call the endpoint; otherwise the 401/403 response.
  func authorize(_ header: String?, endpoint: String, acting: String? = nil) -> Response? {
    guard let header, header.hasPrefix("Basic "),
      let decoded = Data(base64Encoded: String(header.dropFirst(6))).map({ String(decoding: $0, as: UTF8.self) }),
      decoded.hasSuffix(":")
    else {
      return json(
        401,
        ["success": false, "errorInfo": ["code": "unauthenticated", "message": "Missing or malformed Basic auth"]])
    }
    let key = String(decoded.dropLast())
    let access: Access
    switch key {
    case Self.fullKey: access = .full
    case Self.readOnlyKey: access = .readOnly
    case Self.notActingKey: access = .writesButNotActing
    default:
      return json(
        403, ["success": false, "errorInfo": ["code": "invalid_api_key", "message": "The API key is not valid"]])
    }
    if access == .writesButNotActing && acting != nil {
      return json(
        403,
        [
          "success": false,
          "errorInfo": ["code": "forbidden", "message": "The API key may not act on behalf of users"],
        ])
    }
    if access == .readOnly && Catalog.isWrite(endpoint) {
      return json(
        403,
        [
          "success": false, "errors": ["missing_endpoint_permission"],
          "errorInfo": [
            "code": "missing_endpoint_permission", "message": "The API key is missing the permission for \(endpoint)",
            "requestId": "req-\(UUID().uuidString.prefix(8))",
          ],
        ])
    }
    return nil
  }

  func envelope(_ answer: FakeAnswer) -> Response {
    switch answer {
    case .results(let results, let extra):
      return json(200, extra.merging(["success": true, "results": results]) { _, ours in ours })
    case .failure(let code, let message):
      return json(
        200,
        [
          "success": false, "errors": [.string(message)],
          "errorInfo": [
            "code": .string(code), "message": .string(message), "requestId": "req-\(UUID().uuidString.prefix(8))",
          ],
        ])
    case .http(let status, let code, let message):
      return json(status, ["success": false, "errorInfo": ["code": .string(code), "message": .string(message)]])
    }
  }

  static let rateLimited: JSONObject = [
    "success": false, "errorInfo": ["code": "rate_limit_exceeded", "message": "Too many requests"],
  ]

  func json(_ status: Int, _ body: JSONObject, headers: HTTPFields = [:]) -> Response {
    let data = JSONValue.object(body).encodedBytes()
    var fields = headers
    fields[.contentType] = "application/json"
    fields[.init("x-ashby-request-id")!] = "req-\(UUID().uuidString.prefix(8))"
    return Response(status: .init(code: status), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
  }

  /// The same answer, 64 bytes every 20 ms.
  func slow(_ response: Response) -> Response {
    var copy = response
    let original = response.body
    copy.body = ResponseBody { writer in
      let collector = BufferCollector()
      try await original.write(collector)
      var all = collector.buffer
      while all.readableBytes > 0 {
        let chunk = all.readSlice(length: min(64, all.readableBytes)) ?? ByteBuffer()
        try await writer.write(chunk)
        try await Task.sleep(for: .milliseconds(20))
      }
      try await writer.finish(nil)
    }
    return copy
  }

  // MARK: Upload URL, files, and the notify sink

  /// A local stand-in for a chat's incoming webhook: keeps what was posted, answers 200.
  func sink(_ request: Request, _ context: FakeRequestContext) async throws -> Response {
    let name = context.parameters.get("name") ?? ""
    let body = try await request.body.collect(upTo: 1 << 20)
    state.withLock { $0.sink.append((name, String(buffer: body))) }
    return Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok")))
  }

  func upload(_ request: Request, _ context: FakeRequestContext) async throws -> Response {
    let handle = context.parameters.get("handle") ?? ""
    let body = try await request.body.collect(upTo: 32 << 20)
    let entry = FakeRequest(
      method: "POST", path: request.uri.path, endpoint: "_upload", authorization: request.headers[.authorization],
      contentType: request.headers[.contentType], accept: nil, body: "(\(body.readableBytes) bytes)", status: 204)
    record(entry)
    guard request.headers[.contentType]?.hasPrefix("multipart/form-data") == true,
      String(buffer: body).contains("name=\"file\""), store.markUploaded(handle, bytes: body.readableBytes)
    else { return Response(status: .badRequest) }
    return Response(status: .noContent)
  }

  /// `/_files/resume.pdf` (a small PDF), `/_files/redirect` (to it), `/_files/big` (too large).
  func file(_ context: FakeRequestContext) throws -> Response {
    let name = context.parameters.get("name") ?? ""
    let entry = FakeRequest(
      method: "GET", path: "/_files/\(name)", endpoint: "_files", authorization: nil, contentType: nil, accept: nil,
      body: "", status: 200)
    record(entry)
    switch name {
    case "redirect":
      return Response(status: .found, headers: [.location: "\(baseURL.absoluteString)/_files/resume.pdf"])
    case "big":
      return Response(
        status: .ok, headers: [.contentType: "application/pdf"],
        body: .init(byteBuffer: ByteBuffer(repeating: 0x25, count: 30 << 20)))
    case "resume.pdf":
      return Response(
        status: .ok, headers: [.contentType: "application/pdf"],
        body: .init(byteBuffer: ByteBuffer(string: "%PDF-1.4\n% fake resume\n%%EOF\n")))
    default:
      return Response(status: .notFound)
    }
  }
}

/// Collects a response body written by Hummingbird.
final class BufferCollector: ResponseBodyWriter, @unchecked Sendable {
  var buffer = ByteBuffer()
  func write(_ buffer: ByteBuffer) async throws {
    var b = buffer
    self.buffer.writeBuffer(&b)
  }
  func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
