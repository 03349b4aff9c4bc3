import Foundation

/// Checks JSON text against RFC 8259 without building any values, and finds
/// where each member of the top-level object lies.
///
/// Why not Foundation: `JSONSerialization` must build every object of a
/// response, and mapping those to `JSONValue` builds them again, about a tenth
/// of a small call's whole cost. A script never needs either: the Lua bridge
/// decodes `results` straight into tables. So the client only checks the text
/// and reads the envelope's few small fields; `results` stays text until
/// somebody asks for a value.
///
/// What it accepts, every decoder in the project accepts: UTF-8 is checked,
/// lone surrogates in `\u` escapes are refused, nesting is capped at
/// `maxDepth` (Foundation's own limit).
public struct JSONScanner {
  public static let maxDepth = 512

  private let bytes: UnsafeRawBufferPointer
  private var i = 0
  private var depth = 0

  private init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

  /// The byte range of each member's value when `bytes` is one valid JSON
  /// object; nil when it is anything else. A repeated key keeps its last value.
  public static func members(of bytes: UnsafeRawBufferPointer) -> [String: Range<Int>]? {
    var s = JSONScanner(bytes)
    s.skipSpace()
    guard s.peek == UInt8(ascii: "{") else { return nil }
    var members: [String: Range<Int>] = [:]
    let text = s.text
    guard s.container(close: UInt8(ascii: "}"), keyed: true, member: { members[text($0)] = $1 }) else { return nil }
    s.skipSpace()
    return s.i == bytes.count ? members : nil
  }

  /// True when `bytes` is exactly one valid JSON value (surrounding space allowed).
  public static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
    var s = JSONScanner(bytes)
    s.skipSpace()
    guard s.value() else { return false }
    s.skipSpace()
    return s.i == bytes.count
  }

  // MARK: Grammar

  private var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

  private mutating func eat(_ byte: UInt8) -> Bool {
    guard peek == byte else { return false }
    i += 1
    return true
  }

  private mutating func skipSpace() {
    while i < bytes.count {
      switch bytes[i] {
      case 0x20, 0x09, 0x0A, 0x0D: i += 1
      default: return
      }
    }
  }

  private mutating func value() -> Bool {
    guard let c = peek else { return false }
    switch c {
    case UInt8(ascii: "{"): return container(close: UInt8(ascii: "}"), keyed: true)
    case UInt8(ascii: "["): return container(close: UInt8(ascii: "]"), keyed: false)
    case UInt8(ascii: "\""): return string() != nil
    case UInt8(ascii: "t"): return literal("true")
    case UInt8(ascii: "f"): return literal("false")
    case UInt8(ascii: "n"): return literal("null")
    default: return number()
    }
  }

  /// An object or array at `i`. `member` hears each key's range and its value's range.
  private mutating func container(
    close: UInt8, keyed: Bool, member: ((Range<Int>, Range<Int>) -> Void)? = nil
  ) -> Bool {
    depth += 1
    guard depth <= Self.maxDepth else { return false }
    defer { depth -= 1 }
    i += 1
    skipSpace()
    if eat(close) { return true }
    while true {
      var key: Range<Int>?
      if keyed {
        guard peek == UInt8(ascii: "\""), let k = string() else { return false }
        key = k
        skipSpace()
        guard eat(UInt8(ascii: ":")) else { return false }
        skipSpace()
      }
      let start = i
      guard value() else { return false }
      if let key, let member { member(key, start..<i) }
      skipSpace()
      if eat(close) { return true }
      guard eat(UInt8(ascii: ",")) else { return false }
      skipSpace()
    }
  }

  private mutating func literal(_ word: StaticString) -> Bool {
    let n = word.utf8CodeUnitCount
    guard bytes.count - i >= n else { return false }
    for k in 0..<n where bytes[i + k] != word.utf8Start[k] { return false }
    i += n
    return true
  }

  private mutating func digits() -> Bool {
    let start = i
    while let c = peek, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") { i += 1 }
    return i > start
  }

  private mutating func number() -> Bool {
    let start = i
    _ = eat(UInt8(ascii: "-"))
    if eat(UInt8(ascii: "0")) {
      if let c = peek, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") { return false }
    } else if !digits() {
      return false
    }
    if eat(UInt8(ascii: ".")) && !digits() { return false }
    var exponent = false
    if eat(UInt8(ascii: "e")) || eat(UInt8(ascii: "E")) {
      if !eat(UInt8(ascii: "+")) { _ = eat(UInt8(ascii: "-")) }
      guard digits() else { return false }
      exponent = true
    }
    // Foundation refuses numbers past Double's range (1e400); so do we.
    guard exponent || i - start > 300 else { return true }
    return Double(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self))?.isFinite
      ?? false
  }

  /// Skips a string at `i` (on its opening quote); returns the range of its
  /// contents, escapes still in, or nil when it is not a valid string.
  private mutating func string() -> Range<Int>? {
    i += 1
    let start = i
    while i < bytes.count {
      let c = bytes[i]
      switch c {
      case UInt8(ascii: "\""):
        i += 1
        return start..<(i - 1)
      case UInt8(ascii: "\\"):
        guard escape() else { return nil }
      case 0..<0x20:
        return nil
      case 0x80...:
        guard utf8Sequence() else { return nil }
      default:
        i += 1
      }
    }
    return nil
  }

  private mutating func escape() -> Bool {
    guard i + 1 < bytes.count else { return false }
    let c = bytes[i + 1]
    i += 2
    switch c {
    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
      UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
      return true
    case UInt8(ascii: "u"):
      guard let unit = hex4() else { return false }
      switch unit {
      case 0xD800...0xDBFF:
        guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
          return false
        }
        i += 2
        guard let low = hex4(), (0xDC00...0xDFFF).contains(low) else { return false }
        return true
      case 0xDC00...0xDFFF: return false
      default: return true
      }
    default:
      return false
    }
  }

  private mutating func hex4() -> Int? {
    guard bytes.count - i >= 4 else { return nil }
    var v = 0
    for _ in 0..<4 {
      let c = bytes[i]
      let h: Int
      switch c {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): h = Int(c - UInt8(ascii: "0"))
      case UInt8(ascii: "a")...UInt8(ascii: "f"): h = Int(c - UInt8(ascii: "a")) + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): h = Int(c - UInt8(ascii: "A")) + 10
      default: return nil
      }
      v = v * 16 + h
      i += 1
    }
    return v
  }

  /// One well-formed UTF-8 sequence (no overlongs, surrogates or values past U+10FFFF).
  private mutating func utf8Sequence() -> Bool {
    let c = bytes[i]
    let n: Int
    var low: UInt8 = 0x80
    var high: UInt8 = 0xBF
    switch c {
    case 0xC2...0xDF: n = 2
    case 0xE0: (n, low) = (3, 0xA0)
    case 0xE1...0xEC, 0xEE...0xEF: n = 3
    case 0xED: (n, high) = (3, 0x9F)
    case 0xF0: (n, low) = (4, 0x90)
    case 0xF1...0xF3: n = 4
    case 0xF4: (n, high) = (4, 0x8F)
    default: return false
    }
    guard bytes.count - i >= n else { return false }
    guard (low...high).contains(bytes[i + 1]) else { return false }
    for k in 2..<max(2, n) where !(0x80...0xBF).contains(bytes[i + k]) { return false }
    i += n
    return true
  }

  /// A key's text: the bytes as they are, or unescaped when they hold escapes.
  private func text(_ range: Range<Int>) -> String {
    let raw = UnsafeRawBufferPointer(rebasing: bytes[range])
    guard raw.contains(UInt8(ascii: "\\")) else { return String(decoding: raw, as: UTF8.self) }
    var quoted = [UInt8(ascii: "\"")]
    quoted.append(contentsOf: raw)
    quoted.append(UInt8(ascii: "\""))
    return (try? JSONValue.decode(Data(quoted)))?.string ?? String(decoding: raw, as: UTF8.self)
  }
}
