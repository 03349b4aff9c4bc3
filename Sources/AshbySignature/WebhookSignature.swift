import Crypto
import Foundation

/// Ashby's webhook signature: `Ashby-Signature: sha256=<hex>`, the
/// HMAC-SHA256 of the raw request body under the webhook's secret token.
///
/// The one place that knows the format: the daemon verifies with it, the
/// fake Ashby and `hook test` sign with it.
public enum WebhookSignature {
  /// The header Ashby sends; one third-party catalog writes `X-Ashby-Signature`, which is accepted too.
  public static let header = "Ashby-Signature"
  public static let alternateHeader = "X-Ashby-Signature"

  /// `sha256=` and the lowercase hex of the HMAC.
  public static func sign(_ body: some DataProtocol, secret: String) -> String {
    let code = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
    return "sha256=" + code.map { String(format: "%02x", $0) }.joined()
  }

  /// True when `signature` is the body's under `secret`. The comparison takes
  /// the same time wherever the first difference is (swift-crypto's
  /// `isValidAuthenticationCode`), so the secret cannot be guessed byte by byte.
  public static func verify(_ signature: String?, body: some DataProtocol, secret: String) -> Bool {
    guard let signature, let digest = hexBytes(signature.trimmingCharacters(in: .whitespaces)), digest.count == 32 else {
      return false
    }
    return HMAC<SHA256>.isValidAuthenticationCode(digest, authenticating: body, using: SymmetricKey(data: Data(secret.utf8)))
  }

  /// The bytes of `sha256=<hex>` (the prefix in any case); nil for anything else.
  static func hexBytes(_ text: String) -> [UInt8]? {
    guard text.count == 71, text.prefix(7).lowercased() == "sha256=" else { return nil }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(32)
    var high: UInt8?
    for unit in text.utf8.dropFirst(7) {
      let nibble: UInt8
      switch unit {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = unit - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = unit - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = unit - UInt8(ascii: "A") + 10
      default: return nil
      }
      if let h = high {
        bytes.append(h << 4 | nibble)
        high = nil
      } else {
        high = nibble
      }
    }
    return bytes
  }

  /// A new secret token for `webhook.create`: 32 random bytes as hex.
  public static func newSecret() -> String {
    var generator = SystemRandomNumberGenerator()
    return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
  }
}

/// A delivery as Ashby POSTs it: the body's exact bytes and the headers that go with them (JSON, and the
/// signature of those bytes). The one place a signed request is made: the fake Ashby sends its events with
/// it, `hook test` its ping, the benchmark and the tests their deliveries; each hands it to its own client.
public struct SignedDelivery: Sendable {
  public let body: Data
  public let headers: [(name: String, value: String)]

  /// - Parameter secret: the webhook's secret token; nil sends the delivery unsigned.
  public init(body: Data, secret: String?) {
    self.body = body
    var headers = [(name: "Content-Type", value: "application/json")]
    if let secret { headers.append((WebhookSignature.header, WebhookSignature.sign(body, secret: secret))) }
    self.headers = headers
  }
}
