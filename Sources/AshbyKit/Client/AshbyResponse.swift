import AshbyCatalog
import AshbyJSON
import Foundation
import NIOCore

/// A successful Ashby envelope: `results` plus the paging fields.
public struct AshbyResponse: Sendable {
  /// `results` as Ashby sent it (checked, not decoded).
  public var rawResults: RawJSON
  public var moreDataAvailable: Bool
  public var nextCursor: String?
  public var syncToken: String?
  public var warnings: [String]
  public var requestId: String?

  /// `results`, decoded.
  public var results: JSONValue { rawResults.value }
}

/// Turns an HTTP response into results or an `AshbyError` (errors arrive as
/// HTTP 200 with `success: false`; 401/403/429/5xx as themselves).
///
/// A success is read without decoding `results` (see `JSONScanner`); anything
/// else is rare and small, and is decoded whole for its message and code.
enum Envelope {
  static func parse(_ raw: RawResponse, endpoint: String) -> Result<AshbyResponse, AshbyError> {
    if (200..<300).contains(raw.status), let success = success(raw) { return .success(success) }
    let requestIdHeader = raw.headers.first(name: "x-ashby-request-id")
    let body = JSONValue.decodeIfPossible(raw.body)
    let info = body?["errorInfo"]
    let code = info?["code"]?.string
    let requestId = info?["requestId"]?.string ?? requestIdHeader
    func failure(_ kind: AshbyError.Kind, _ fallback: String, retryable: Bool = false) -> AshbyError {
      AshbyError(
        kind, errorMessage(body) ?? fallback, code: code, endpoint: endpoint, status: raw.status,
        retryable: retryable, requestId: requestId)
    }
    switch raw.status {
    case 200..<300:
      guard let body, case .object = body else {
        return .failure(failure(.api, "Ashby sent a response that is not JSON", retryable: true))
      }
      if body["success"]?.bool == true {
        // Text our scanner refused but Foundation reads (it forgives a trailing
        // comma): take what Foundation made of it rather than fail the call.
        return .success(
          AshbyResponse(
            rawResults: RawJSON(encoding: body["results"] ?? .null),
            moreDataAvailable: body["moreDataAvailable"]?.bool ?? false, nextCursor: body["nextCursor"]?.string,
            syncToken: body["syncToken"]?.string, warnings: body["warnings"]?.array?.compactMap(\.string) ?? [],
            requestId: requestId))
      }
      if code == "missing_endpoint_permission" { return .failure(permissionError(failure)) }
      return .failure(failure(kind(forCode: code), "Ashby reported a failure without a message"))
    case 401:
      return .failure(failure(.auth, "the API key is missing or not valid (HTTP 401)"))
    case 403:
      if code == "missing_endpoint_permission" { return .failure(permissionError(failure)) }
      return .failure(failure(.auth, "the API key was refused (HTTP 403): wrong or deactivated key"))
    case 429:
      return .failure(failure(.rateLimited, "Ashby's rate limit was reached (HTTP 429)", retryable: true))
    case 404:
      return .failure(failure(.notFound, "no such endpoint: \(endpoint) (HTTP 404)"))
    case 500...:
      return .failure(failure(.api, "Ashby had a server error (HTTP \(raw.status))", retryable: true))
    default:
      return .failure(failure(.api, "unexpected HTTP \(raw.status) from Ashby"))
    }
  }

  /// The error names the permission the catalog says the endpoint needs, so
  /// the fix ("give the key candidatesWrite") is in the message itself.
  static func permissionError(_ failure: (AshbyError.Kind, String, Bool) -> AshbyError) -> AshbyError {
    var error = failure(.permission, "the API key lacks a permission", false)
    guard let endpoint = error.endpoint else { return error }
    let needed = Catalog.endpoint(endpoint)?.permission
    error.permission = needed
    let what = needed.map { "the \($0) permission" } ?? "the permission"
    error.message = "the API key lacks \(what), which \(endpoint) needs (Ashby: \(error.message))"
    return error
  }

  static func kind(forCode code: String?) -> AshbyError.Kind {
    guard let code else { return .api }
    if code == "missing_endpoint_permission" { return .permission }
    if code.hasSuffix("_not_found") { return .notFound }
    return .api
  }

  /// `errorInfo.message`, else the deprecated `errors` (strings or `{message}` objects).
  static func errorMessage(_ body: JSONValue?) -> String? {
    if let m = body?["errorInfo"]?["message"]?.string, !m.isEmpty { return m }
    let errors = body?["errors"]?.array?.compactMap { e -> String? in
      if let s = e.string { return s }
      guard let m = e["message"]?.string else { return nil }
      return e["parameter"]?.string.map { "\(m) (\($0))" } ?? m
    }
    if let errors, !errors.isEmpty { return errors.joined(separator: "; ") }
    return body?["errorInfo"]?["code"]?.string
  }
}

extension Envelope {
  /// The envelope of a valid JSON object with `"success": true`; nil for anything else.
  static func success(_ raw: RawResponse) -> AshbyResponse? {
    raw.body.withUnsafeReadableBytes { bytes -> AshbyResponse? in
      guard let members = JSONScanner.members(of: bytes) else { return nil }
      func slice(_ key: String) -> UnsafeRawBufferPointer? {
        members[key].map { UnsafeRawBufferPointer(rebasing: bytes[$0]) }
      }
      func isTrue(_ key: String) -> Bool { slice(key).map { $0.elementsEqual("true".utf8) } ?? false }
      // The small fields are rare (paging only) and short: decoding them whole is cheap.
      func decoded(_ key: String) -> JSONValue? { slice(key).flatMap { try? JSONValue.decode(Data($0)) } }
      guard isTrue("success") else { return nil }
      return AshbyResponse(
        rawResults: slice("results").map { RawJSON(checked: Array($0)) } ?? .null,
        moreDataAvailable: isTrue("moreDataAvailable"),
        nextCursor: decoded("nextCursor")?.string,
        syncToken: decoded("syncToken")?.string,
        warnings: decoded("warnings")?.array?.compactMap(\.string) ?? [],
        requestId: raw.headers.first(name: "x-ashby-request-id"))
    }
  }
}

extension JSONValue {
  static func decodeIfPossible(_ buffer: ByteBuffer) -> JSONValue? {
    guard buffer.readableBytes > 0 else { return nil }
    return buffer.withUnsafeReadableBytes { raw in
      try? JSONValue.decode(Data(raw))
    }
  }
}
