import AshbyJSON
import Foundation

/// A way the fake misbehaves, for a share of requests or the next N of them.
public struct FakeFault: Sendable, Equatable {
  public enum Kind: String, Sendable, CaseIterable {
    /// HTTP 429 with `Retry-After`.
    case rateLimit = "429"
    /// HTTP 429 with `Retry-After` and `X-RateLimit-Scope: integration-partner`:
    /// a partner's combined traffic throttled, not this key's.
    case partnerRateLimit = "429partner"
    /// HTTP 500.
    case serverError = "5xx"
    /// The request is applied, then the connection closes without an answer.
    case reset
    /// A 200 response whose body is not JSON.
    case malformed
    /// The answer trickles out slowly.
    case slowBody = "slow"
  }

  public var kind: Kind
  /// Only this endpoint (nil: any).
  public var endpoint: String?
  /// Fire for the next `count` matching requests...
  public var count: Int?
  /// ...or for this share of them (0...1).
  public var rate: Double

  public init(_ kind: Kind, endpoint: String? = nil, count: Int? = nil, rate: Double = 0) {
    self.kind = kind
    self.endpoint = endpoint
    self.count = count
    self.rate = rate
  }

  /// Parses `KIND:RATE` as the `fake-server --fault` flag takes it (`429:0.1`, `reset:0.05`).
  public init?(flag: String) {
    let parts = flag.split(separator: ":")
    guard parts.count == 2, let kind = Kind(rawValue: String(parts[0])), let rate = Double(parts[1]),
      (0...1).contains(rate)
    else { return nil }
    self.init(kind, rate: rate)
  }
}

/// One request as the fake received it, for tests to check the wire format.
public struct FakeRequest: Sendable {
  public var method: String
  public var path: String
  public var endpoint: String
  public var authorization: String?
  public var contentType: String?
  public var accept: String?
  /// `Ashby-Version` and `X-On-Behalf-Of`, as sent.
  public var apiVersion: String?
  public var onBehalfOf: String?
  /// The JSON body as text (exactly the bytes received).
  public var body: String
  public var status: Int
  /// Parsed body (JSON object), for convenient assertions.
  public var json: [String: JSONValue] { (try? JSONValue.decode(Data(body.utf8)))?.object ?? [:] }
}

/// Ashby's rate limit, as the fake enforces it: at most `limit` requests in any
/// `window`, counted at arrival; the rest get 429 with `Retry-After` (whole
/// seconds until a slot frees) and, with `headers`, `X-RateLimit-*`.
public struct FakeRateLimit: Sendable {
  public var limit: Int
  public var window: Duration
  public var headers: Bool

  public init(limit: Int, window: Duration = .seconds(60), headers: Bool = false) {
    self.limit = limit
    self.window = window
    self.headers = headers
  }

  /// Parses `N/SECONDS` as `fake-server --rate-limit` takes it (`20/1`, `1000/60`).
  public init?(flag: String) {
    let parts = flag.split(separator: "/")
    guard parts.count == 2, let limit = Int(parts[0]), (1...1_000_000).contains(limit), let seconds = Double(parts[1]),
      seconds.isFinite, seconds >= 0.01, seconds <= 86_400
    else { return nil }
    self.init(limit: limit, window: .milliseconds(Int64(seconds * 1000)))  // 0.01...86,400 s, checked above
  }

  /// Admits a request arriving `now`, or says how long until one would be.
  func admit(_ admitted: inout [ContinuousClock.Instant], at now: ContinuousClock.Instant) -> Duration? {
    let live = admitted.reversed().prefix { $0 + window > now }
    if live.count < limit {
      admitted.append(now)
      return nil
    }
    let oldest = live.last ?? now
    return oldest + window - now
  }
}
