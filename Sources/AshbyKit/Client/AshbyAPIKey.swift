import Foundation

/// An Ashby API key that cannot leak by accident.
///
/// It prints, logs and reflects as `••••` plus its last four characters; the
/// secret leaves this type only as the `Authorization` header for the Ashby
/// base URL (`AshbyTransport`).
public struct AshbyAPIKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
  CustomReflectable
{
  private let secret: String

  /// - Returns: nil for an empty or blank key.
  public init?(_ secret: String) {
    let trimmed = secret.trimmingCharacters(in: .whitespacesAndNewlines)
    guard !trimmed.isEmpty else { return nil }
    self.secret = trimmed
  }

  /// The last four characters, which `auth status` shows so users can tell keys apart.
  public var lastFour: String { String(secret.suffix(4)) }

  public var description: String { "••••\(lastFour)" }
  public var debugDescription: String { description }
  public var customMirror: Mirror { Mirror(self, children: ["key": description]) }

  /// `Basic base64("KEY:")`, as Ashby expects.
  var authorizationHeader: String { "Basic " + Data("\(secret):".utf8).base64EncodedString() }

  /// Lets tests and redaction checks look for the secret without exposing it elsewhere.
  public func appears(in text: String) -> Bool { text.contains(secret) }

  /// `text` with the secret replaced by `mask` (what a server hands on, scrubbed without seeing the key).
  public func redacted(in text: String, as mask: String) -> String { text.replacingOccurrences(of: secret, with: mask) }
}
