import Foundation

/// JSON as plain Swift data: what AshbyKit sends and receives.
public enum JSONValue: Sendable, Hashable {
  case null
  case bool(Bool)
  case int(Int64)
  case double(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  /// A member of an object (nil for a missing key or a value that is not an object). Setting
  /// changes an object's member (nil removes it) and leaves any other value as it is.
  public subscript(key: String) -> JSONValue? {
    get {
      if case .object(let o) = self { return o[key] }
      return nil
    }
    set {
      guard case .object(var o) = self else { return }
      self = .null  // the only reference left is `o`: the member changes in place, not in a copy
      o[key] = newValue
      self = .object(o)
    }
  }

  public var string: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  public var bool: Bool? {
    if case .bool(let b) = self { return b }
    return nil
  }

  public var int: Int64? {
    switch self {
    case .int(let i): return i
    case .double(let d): return Int64(exactly: d)
    default: return nil
    }
  }

  /// Any number, integer or not.
  public var number: Double? {
    switch self {
    case .int(let i): return Double(i)
    case .double(let d): return d
    default: return nil
    }
  }

  public var array: [JSONValue]? {
    if case .array(let a) = self { return a }
    return nil
  }

  public var object: [String: JSONValue]? {
    if case .object(let o) = self { return o }
    return nil
  }
}

extension JSONValue: Codable {
  public init(from decoder: any Decoder) throws {
    let c = try decoder.singleValueContainer()
    if c.decodeNil() {
      self = .null
    } else if let b = try? c.decode(Bool.self) {
      self = .bool(b)
    } else if let i = try? c.decode(Int64.self) {
      self = .int(i)
    } else if let d = try? c.decode(Double.self) {
      self = .double(d)
    } else if let s = try? c.decode(String.self) {
      self = .string(s)
    } else if let a = try? c.decode([JSONValue].self) {
      self = .array(a)
    } else {
      self = .object(try c.decode([String: JSONValue].self))
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.singleValueContainer()
    switch self {
    case .null: try c.encodeNil()
    case .bool(let b): try c.encode(b)
    case .int(let i): try c.encode(i)
    case .double(let d): try c.encode(d)
    case .string(let s): try c.encode(s)
    case .array(let a): try c.encode(a)
    case .object(let o): try c.encode(o)
    }
  }
}

extension JSONValue: ExpressibleByStringInterpolation, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
  ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
  public init(stringLiteral value: String) { self = .string(value) }
  public init(integerLiteral value: Int64) { self = .int(value) }
  public init(booleanLiteral value: Bool) { self = .bool(value) }
  public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
  public init(dictionaryLiteral elements: (String, JSONValue)...) {
    self = .object(Dictionary(elements, uniquingKeysWith: { _, b in b }))
  }
  public init(nilLiteral: ()) { self = .null }
}

extension JSONValue {
  /// Compact JSON, keys in no particular order. Written by hand: Foundation's
  /// writer boxes every value first and cost a measurable share of a small call.
  public func encoded() -> Data { Data(encodedBytes()) }

  public func encodedBytes() -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(64)
    write(to: &out)
    return out
  }

  private func write(to out: inout [UInt8]) {
    switch self {
    case .null: out.append(contentsOf: "null".utf8)
    case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
    case .int(let i): out.append(contentsOf: String(i).utf8)
    // Swift prints the shortest text that reads back to the same double.
    case .double(let d): out.append(contentsOf: (d.isFinite ? d.description : "0").utf8)
    case .string(let s): Self.writeString(s, to: &out)
    case .array(let items):
      out.append(UInt8(ascii: "["))
      for (n, item) in items.enumerated() {
        if n > 0 { out.append(UInt8(ascii: ",")) }
        item.write(to: &out)
      }
      out.append(UInt8(ascii: "]"))
    case .object(let members):
      out.append(UInt8(ascii: "{"))
      var first = true
      for (key, value) in members {
        if !first { out.append(UInt8(ascii: ",")) }
        first = false
        Self.writeString(key, to: &out)
        out.append(UInt8(ascii: ":"))
        value.write(to: &out)
      }
      out.append(UInt8(ascii: "}"))
    }
  }

  private static let hexDigits = Array("0123456789abcdef".utf8)

  private static func writeString(_ s: String, to out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    for c in s.utf8 {
      switch c {
      case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
      case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
      case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
      case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
      case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
      case 0..<0x20:
        out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
        out.append(hexDigits[Int(c >> 4)])
        out.append(hexDigits[Int(c & 0xF)])
      default: out.append(c)
      }
    }
    out.append(UInt8(ascii: "\""))
  }

  /// Parses JSON. Foundation's parser is fast; the mapping keeps integers,
  /// floats and booleans apart (booleans are the NSNumbers of type "c").
  public static func decode(_ data: Data) throws -> JSONValue {
    JSONValue(foundation: try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]))
  }

  public init(foundation value: Any) {
    switch value {
    case let s as String: self = .string(s)
    case let o as [String: Any]:
      var members = [String: JSONValue](minimumCapacity: o.count)
      for (k, v) in o { members[k] = JSONValue(foundation: v) }
      self = .object(members)
    case let n as NSDecimalNumber:  // what Foundation makes of integers near or past Int64's ends
      let i = n.int64Value
      self = NSDecimalNumber(value: i).compare(n) == .orderedSame ? .int(i) : .double(n.doubleValue)
    case let n as NSNumber:
      switch UInt8(bitPattern: n.objCType.pointee) {
      case UInt8(ascii: "c"), UInt8(ascii: "B"): self = .bool(n.boolValue)
      case UInt8(ascii: "f"), UInt8(ascii: "d"): self = .double(n.doubleValue)
      case UInt8(ascii: "Q") where n.uint64Value > UInt64(Int64.max): self = .double(n.doubleValue)
      default: self = .int(n.int64Value)
      }
    case let a as [Any]: self = .array(a.map(JSONValue.init(foundation:)))
    default: self = .null
    }
  }
}
