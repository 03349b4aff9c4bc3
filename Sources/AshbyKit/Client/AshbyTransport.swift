import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// One HTTP exchange with Ashby: what came back, or how it failed.
struct RawResponse: Sendable {
  var status: Int
  var headers: HTTPHeaders
  var body: ByteBuffer
}

/// Why an exchange failed without a response, and whether the request surely never left.
struct TransportFailure: Error {
  var kind: AshbyError.Kind  // .network or .timeout
  var message: String
  /// True only when the request certainly did not reach the server (connect failed).
  var notSent: Bool
  /// No attempt can succeed (a replayed run asked for what its cassette lacks): not retried.
  var final = false
}

/// The HTTP layer: one pooled async-http-client shared by every call of a client.
/// The `Authorization` header is added here and only here, for the Ashby base URL.
///
/// The HTTP client and its event loops start with the first request: a script
/// that makes none (or a run that fails before one) never pays for them.
final class AshbyTransport: Sendable {
  private let started = Mutex<HTTPClient?>(nil)
  let configuration: AshbyConfiguration
  /// Where exchanges are recorded or answered from (`run --record`/`--replay`).
  private let cassette: Cassette?
  /// `https://api.ashbyhq.com/` once, not per request.
  private let base: String

  init(configuration: AshbyConfiguration) {
    self.configuration = configuration
    self.cassette = configuration.cassette
    let url = configuration.baseURL.absoluteString
    self.base = url.hasSuffix("/") ? url : url + "/"
  }

  /// The HTTP client, started on first use.
  var http: HTTPClient {
    started.withLock { client in
      if let client { return client }
      let made = Self.makeClient(configuration)
      client = made
      return made
    }
  }

  private static func makeClient(_ configuration: AshbyConfiguration) -> HTTPClient {
    var http = HTTPClient.Configuration()
    http.connectionPool = .init(
      idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, configuration.maxInFlight))
    // We retry ourselves, knowing which requests are safe to send again.
    http.connectionPool.retryConnectionEstablishment = false
    http.timeout = .init(connect: .seconds(10), read: .nanoseconds(configuration.requestTimeout.nanoseconds))
    http.redirectConfiguration = .disallow
    return HTTPClient(eventLoopGroupProvider: .singleton, configuration: http)
  }

  func shutdown() async {
    let client = started.withLock { client -> HTTPClient? in
      defer { client = nil }
      return client
    }
    try? await client?.shutdown()
  }

  /// Whether every answer comes from a cassette (no key is needed then).
  var replaysOnly: Bool { cassette?.mode == .replay }

  /// POSTs a JSON body to `/<endpoint>`, or answers from the cassette.
  /// `onBehalfOf` goes as `X-On-Behalf-Of` (the caller sends it on writes only).
  func post(endpoint: String, body: Data, onBehalfOf: String? = nil) async throws(TransportFailure) -> RawResponse {
    guard let cassette else { return try await send(endpoint: endpoint, body: body, onBehalfOf: onBehalfOf) }
    if cassette.mode != .record {
      if let answer = cassette.answer(endpoint: endpoint, body: body) { return answer }
      if cassette.mode == .replay {
        throw TransportFailure(kind: .network, message: cassette.miss(endpoint: endpoint, body: body), notSent: true, final: true)
      }
    }
    let response = try await send(endpoint: endpoint, body: body, onBehalfOf: onBehalfOf)
    cassette.record(endpoint: endpoint, body: body, response: response)
    return response
  }

  private func send(endpoint: String, body: Data, onBehalfOf: String?) async throws(TransportFailure) -> RawResponse {
    var request = HTTPClientRequest(url: base + endpoint)
    request.method = .POST
    request.headers.add(name: "Content-Type", value: "application/json")
    request.headers.add(name: "Accept", value: "application/json; version=1")
    request.headers.add(name: "User-Agent", value: "ashby-lua/0.1")
    request.headers.add(name: "Ashby-Version", value: configuration.apiVersion)
    if let onBehalfOf { request.headers.add(name: "X-On-Behalf-Of", value: onBehalfOf) }
    if let key = configuration.apiKey { request.headers.add(name: "Authorization", value: key.authorizationHeader) }
    request.body = .bytes(ByteBuffer(bytes: body))
    do {
      // One deadline for the whole exchange: async-http-client enforces it up to
      // the response head; the body loop checks it per chunk (a trickling body
      // is a timeout), and the read timeout catches a body that stalls.
      let deadline = NIODeadline.now() + .nanoseconds(configuration.requestTimeout.nanoseconds)
      let response = try await http.execute(request, deadline: deadline)
      var body = ByteBuffer()
      for try await var chunk in response.body {
        if NIODeadline.now() > deadline { throw HTTPClientError.deadlineExceeded }
        guard body.readableBytes + chunk.readableBytes <= configuration.maxResponseBytes else {
          throw NIOTooManyBytesError(maxBytes: configuration.maxResponseBytes)
        }
        body.writeBuffer(&chunk)
      }
      return RawResponse(status: Int(response.status.code), headers: response.headers, body: body)
    } catch let error as NIOTooManyBytesError {
      _ = error
      throw TransportFailure(
        kind: .network, message: "response larger than \(configuration.maxResponseBytes) bytes", notSent: false)
    } catch {
      throw Self.classify(error)
    }
  }

  static func classify(_ error: any Error) -> TransportFailure {
    if error is CancellationError {
      return TransportFailure(kind: .network, message: "cancelled", notSent: false)
    }
    if let e = error as? HTTPClientError {
      switch e {
      case .connectTimeout:
        return TransportFailure(kind: .timeout, message: "connecting timed out", notSent: true)
      case .readTimeout, .deadlineExceeded, .writeTimeout:
        return TransportFailure(kind: .timeout, message: "the request timed out", notSent: false)
      case .remoteConnectionClosed:
        return TransportFailure(kind: .network, message: "the connection closed before a response", notSent: false)
      case .cancelled:
        return TransportFailure(kind: .network, message: "cancelled", notSent: false)
      default:
        return TransportFailure(kind: .network, message: "\(e)", notSent: false)
      }
    }
    if let e = error as? IOError, e.errnoCode == ECONNREFUSED {
      return TransportFailure(kind: .network, message: "connection refused", notSent: true)
    }
    if case ChannelError.connectTimeout = error {
      return TransportFailure(kind: .network, message: "cannot connect: \(error)", notSent: true)
    }
    let text = "\(error)"
    let refused = text.contains("Connection refused") || text.contains("connectionRefused")
    return TransportFailure(kind: .network, message: refused ? "connection refused" : text, notSent: refused)
  }
}
