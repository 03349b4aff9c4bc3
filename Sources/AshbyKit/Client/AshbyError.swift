import AshbyJSON

/// Every failure AshbyKit reports, in one shape.
///
/// `kind` says what a caller can do about it (fix the input, fix the key, wait,
/// check whether a write happened); the rest says exactly what happened.
public struct AshbyError: Error, Sendable, CustomStringConvertible {
  public enum Kind: String, Sendable, CaseIterable {
    case argument, api, auth, permission
    case notFound = "not_found"
    case rateLimited = "rate_limited"
    case network, timeout
    /// A write whose outcome is unknown: it may or may not have been applied.
    case ambiguous
    case cancelled, limit
    /// The state (the audit log) could not record a write, so it was not sent.
    case state
  }

  public var kind: Kind
  public var message: String
  /// Ashby's `errorInfo.code`.
  public var code: String?
  /// The action (`create_candidate`) that failed, when one did.
  public var action: String?
  /// The endpoint (`candidate.create`) that failed.
  public var endpoint: String?
  /// HTTP status, when a response arrived.
  public var status: Int?
  public var retryable: Bool
  public var requestId: String?
  /// For argument errors: the parameter at fault.
  public var parameter: String?
  /// For permission errors: the permission the key lacks (`candidatesWrite`), from the endpoint catalog.
  public var permission: String?
  /// On `rate_limited` errors: `integration-partner` when Ashby throttled a
  /// partner's combined traffic rather than this key (`X-RateLimit-Scope`).
  public var scope: String?
  /// On `limit` errors: which limit (`writes`).
  public var limit: String?
  /// Part of a multi-call action was applied; `result` holds what was.
  public var partial: Bool
  public var result: JSONValue?

  public init(
    _ kind: Kind, _ message: String, code: String? = nil, action: String? = nil, endpoint: String? = nil,
    status: Int? = nil, retryable: Bool = false, requestId: String? = nil, parameter: String? = nil,
    partial: Bool = false, result: JSONValue? = nil
  ) {
    self.kind = kind
    self.message = message
    self.code = code
    self.action = action
    self.endpoint = endpoint
    self.status = status
    self.retryable = retryable
    self.requestId = requestId
    self.parameter = parameter
    self.partial = partial
    self.result = result
  }

  public static func argument(_ parameter: String, _ message: String, action: String? = nil) -> AshbyError {
    AshbyError(.argument, message, action: action, parameter: parameter)
  }

  public var description: String {
    var s = action.map { "\($0): " } ?? ""
    s += kind.rawValue
    if let code { s += " (\(code))" }
    s += ": \(message)"
    if let endpoint { s += " [\(endpoint)" + (status.map { " HTTP \($0)" } ?? "") + "]" }
    return s
  }

  /// The same error with `what: ` before its message.
  func prefixed(_ what: String) -> AshbyError {
    var e = self
    e.message = "\(what): \(message)"
    return e
  }

  static func cancelled(_ endpoint: String) -> AshbyError {
    AshbyError(.cancelled, "cancelled", endpoint: endpoint)
  }

  /// A write whose outcome is unknown: never retried, and the message says to check first.
  static func ambiguousWrite(
    _ what: String, endpoint: String, code: String? = nil, status: Int? = nil, requestId: String? = nil
  ) -> AshbyError {
    AshbyError(
      .ambiguous, "\(what); the write may or may not have been applied, check before retrying", code: code,
      endpoint: endpoint, status: status, retryable: false, requestId: requestId)
  }

  /// A later step failed after `applied` had already happened: the error says so and carries it.
  func afterApplying(_ applied: JSONValue, _ what: String) -> AshbyError {
    var e = self
    e.message = "\(what), but \(message)"
    e.partial = true
    e.result = applied
    return e
  }

  /// The same error, attributed to an action.
  public func within(action: String) -> AshbyError {
    var e = self
    if e.action == nil { e.action = action }
    return e
  }
}
