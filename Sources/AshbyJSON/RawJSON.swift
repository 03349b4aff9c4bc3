import Foundation

/// JSON text the client has checked but not decoded: what Ashby sent as
/// `results`, byte for byte.
///
/// The Lua bridge hands these bytes to its C decoder, which builds tables
/// directly; Swift callers ask for `value`. Either way the text is decoded
/// once, by whoever needs it.
public struct RawJSON: Sendable, Hashable, CustomStringConvertible {
  /// Valid UTF-8 JSON text (one value).
  public let bytes: [UInt8]

  /// Text the scanner has already checked.
  public init(checked bytes: [UInt8]) { self.bytes = bytes }

  /// Checks `bytes`; nil when they are not one valid JSON value.
  public init?(_ bytes: [UInt8]) {
    guard bytes.withUnsafeBytes(JSONScanner.isValid) else { return nil }
    self.bytes = bytes
  }

  /// The text of a value (for results the client made itself, like dry-run stand-ins).
  public init(encoding value: JSONValue) { self.bytes = value.encodedBytes() }

  public static let null = RawJSON(checked: Array("null".utf8))

  /// The decoded value. The text was checked when it arrived, so decoding cannot fail.
  public var value: JSONValue { (try? JSONValue.decode(Data(bytes))) ?? .null }

  /// True unless the text is an array with at least one item (all paging needs to know).
  public var isEmptyList: Bool {
    var meaningful = bytes.lazy.filter { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }.makeIterator()
    guard meaningful.next() == UInt8(ascii: "[") else { return true }
    return meaningful.next() == UInt8(ascii: "]")
  }

  public var description: String { String(decoding: bytes, as: UTF8.self) }
}
