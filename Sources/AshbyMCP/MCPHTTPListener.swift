import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MCP
import NIOCore
import Synchronization

/// Streamable HTTP (`ashby-lua mcp --listen HOST:PORT`): `/mcp` on Hummingbird, one MCP
/// session per client, each with a transport and a server of its own, found by its
/// `Mcp-Session-Id`. On loopback Origin and Host are checked (DNS rebinding); off loopback
/// a bearer token is required, any Host goes, and a browser's Origin must be that Host's.
public final class MCPHTTPListener: Sendable {
  let server: AshbyMCPServer
  let host: String
  let port: Int
  /// Required as `Authorization: Bearer TOKEN` when set.
  let token: String?
  let version: String

  public init(server: AshbyMCPServer, host: String, port: Int, token: String?, version: String) {
    self.server = server
    self.host = host
    self.port = port
    self.token = token
    self.version = version
  }

  /// Whether `host` is this machine only.
  public static func isLoopback(_ host: String) -> Bool { ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host) }

  /// The port bound (for `--listen HOST:0`, known once listening): the Origin and Host a request must name.
  let boundPort = Mutex(0)

  /// Serves until cancelled; `onListening` hears the bound port.
  public func run(onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
    let sessions = Sessions(listener: self)
    let router = Router()
    for method in [HTTPRequest.Method.post, .get, .delete] {
      router.on("mcp", method: method) { request, _ -> Response in
        let body = try await request.body.collect(upTo: 4 << 20)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName] = field.value }
        // HTTP/1.1's Host is the request's authority here; the SDK's DNS-rebinding check reads it as Host.
        if let authority = request.head.authority { headers["Host"] = authority }
        let incoming = MCP.HTTPRequest(
          method: request.method.rawValue, headers: headers, body: body.readableBytes > 0 ? Data(buffer: body) : nil,
          path: request.uri.path)
        return Self.response(await sessions.handle(incoming))
      }
    }
    var logger = Logger(label: "ashby-lua.mcp.http")
    logger.logLevel = .warning
    let app = Application(
      router: router, configuration: .init(address: .hostname(host, port: port), serverName: "ashby-lua-mcp"),
      onServerRunning: { channel in
        let port = channel.localAddress?.port ?? 0
        self.boundPort.withLock { $0 = port }
        onListening(port)
      }, logger: logger)
    try await app.runService()
  }

  /// The checks every request passes, a session's first one included, before any session is made for it.
  func pipeline() -> StandardValidationPipeline {
    let port = boundPort.withLock { $0 }
    // Off loopback a bearer token is required (`mcp` checks), which a rebinding page cannot send; clients
    // name the host as they reach it (an address, a DNS name), so any Host goes, and a browser's Origin
    // only when it is that Host's own.
    var validators: [any HTTPRequestValidator] = [
      Self.isLoopback(host) ? OriginValidator.localhost(port: port) : SameOrigin(),
      AcceptHeaderValidator(mode: .sseRequired), ContentTypeValidator(), ProtocolVersionValidator(), SessionValidator(),
    ]
    if let token { validators.insert(BearerToken(token: token), at: 0) }
    return StandardValidationPipeline(validators: validators)
  }

  /// A new session's transport, with its server serving it (forgotten when it ends).
  func newSession() async throws -> StatefulHTTPServerTransport {
    let transport = StatefulHTTPServerTransport(validationPipeline: pipeline())
    let mcp = try await server.start(transport, version: version)
    let server = self.server
    Task {
      await mcp.waitUntilCompleted()
      server.forget(mcp)
    }
    return transport
  }

  static func response(_ answer: MCP.HTTPResponse) -> Response {
    var fields = HTTPFields()
    for (name, value) in answer.headers { if let field = HTTPField.Name(name) { fields[field] = value } }
    let status = HTTPResponse.Status(code: answer.statusCode)
    switch answer {
    case .stream(let stream, _):
      return Response(status: status, headers: fields, body: ResponseBody(asyncSequence: stream.map { ByteBuffer(data: $0) }))
    default:
      return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(data: answer.bodyData ?? Data())))
    }
  }

  /// The sessions by id; a request without one may start a session, once it passed every check and is `initialize`.
  actor Sessions {
    let listener: MCPHTTPListener
    var open: [String: (transport: StatefulHTTPServerTransport, used: ContinuousClock.Instant)] = [:]
    var starting = 0
    static let cap = 64
    /// A session nobody used for this long is ended, so that clients that went away free their slots.
    static let idle: Duration = .seconds(3600)

    init(listener: MCPHTTPListener) { self.listener = listener }

    func handle(_ request: MCP.HTTPRequest) async -> MCP.HTTPResponse {
      if let id = request.header(HTTPHeaderName.sessionID) {
        guard let session = open[id] else {
          return .error(statusCode: 404, .invalidRequest("no MCP session \(id.prefix(64)): initialize a new one"))
        }
        open[id]?.used = .now
        let answer = await session.transport.handleRequest(request)
        if request.method == "DELETE", (200..<300).contains(answer.statusCode) { open[id] = nil }
        return answer
      }
      let initialize = (try? JSONDecoder().decode([String: Value].self, from: request.body ?? Data()))?["method"] == "initialize"
      let context = HTTPValidationContext(httpMethod: request.method, isInitializationRequest: initialize)
      if let refused = listener.pipeline().validate(request, context: context) { return refused }
      guard initialize else { return .error(statusCode: 400, .invalidRequest("no MCP session: send initialize first")) }
      await endIdle()
      guard open.count + starting < Self.cap else {
        return .error(statusCode: 503, .internalError("too many MCP sessions (\(Self.cap)); end one first"))
      }
      starting += 1
      defer { starting -= 1 }
      let transport: StatefulHTTPServerTransport
      do { transport = try await listener.newSession() } catch {
        return .error(statusCode: 500, .internalError("cannot start an MCP session: \(error)"))
      }
      let answer = await transport.handleRequest(request)
      if let id = answer.headers.first(where: { $0.key.lowercased() == HTTPHeaderName.sessionID.lowercased() })?.value {
        open[id] = (transport, .now)
      } else {
        await transport.disconnect()  // refused after all: its server ends with it
      }
      return answer
    }

    func endIdle() async {
      let now = ContinuousClock.now
      for (id, session) in open where now - session.used > Self.idle {
        open[id] = nil
        await session.transport.disconnect()
      }
    }
  }
}

/// `Authorization: Bearer TOKEN`, compared in constant time.
struct BearerToken: HTTPRequestValidator {
  let token: String

  func validate(_ request: MCP.HTTPRequest, context: HTTPValidationContext) -> MCP.HTTPResponse? {
    let given = Array((request.header("Authorization") ?? "").utf8), wanted = Array("Bearer \(token)".utf8)
    var difference = UInt8(given.count == wanted.count ? 0 : 1)
    for (i, byte) in wanted.enumerated() { difference |= byte ^ (i < given.count ? given[i] : 0) }
    return difference == 0 ? nil : .error(statusCode: 401, .invalidRequest("a bearer token is required (Authorization: Bearer ...)"))
  }
}

/// An `Origin`, when a browser sends one, must be the request's own `Host` (http or https).
struct SameOrigin: HTTPRequestValidator {
  func validate(_ request: MCP.HTTPRequest, context: HTTPValidationContext) -> MCP.HTTPResponse? {
    guard let origin = request.header(HTTPHeaderName.origin) else { return nil }
    let host = request.header(HTTPHeaderName.host) ?? ""
    guard !host.isEmpty, origin == "http://\(host)" || origin == "https://\(host)" else {
      return .error(statusCode: 403, .invalidRequest("Forbidden: Origin not allowed"), sessionID: context.sessionID)
    }
    return nil
  }
}
