/// A Lua value carried in Swift: plain data that can cross threads.
///
/// Conversion rules (docs/values.md): integers and floats stay apart; strings
/// that are valid UTF-8 are `.string`, other byte strings `.bytes`. A table
/// whose keys are exactly `1...n` (or that carries the JSON array mark) is an
/// `.array`; a table with only string keys, or an empty unmarked table, is an
/// `.object`; any other table is a `.table`. `json.null` is `.null`.
/// Functions, userdata and threads do not convert.
///
/// `.jsonText` only travels into Lua: JSON text that the C codec decodes into
/// tables as it is pushed, with `json.decode`'s rules. A host function that
/// already holds JSON (an HTTP body) skips building Swift values for it.
public enum LuaValue: Sendable, Hashable {
  case `nil`
  case boolean(Bool)
  case integer(Int64)
  case number(Double)
  case string(String)
  case bytes([UInt8])
  case array([LuaValue])
  case object([String: LuaValue])
  case table([LuaValue: LuaValue])
  case null
  case jsonText([UInt8])
}

extension LuaValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
  ExpressibleByFloatLiteral, ExpressibleByNilLiteral, ExpressibleByArrayLiteral,
  ExpressibleByDictionaryLiteral
{
  public init(stringLiteral value: String) { self = .string(value) }
  public init(integerLiteral value: Int64) { self = .integer(value) }
  public init(booleanLiteral value: Bool) { self = .boolean(value) }
  public init(floatLiteral value: Double) { self = .number(value) }
  public init(nilLiteral: ()) { self = .nil }
  public init(arrayLiteral elements: LuaValue...) { self = .array(elements) }
  public init(dictionaryLiteral elements: (String, LuaValue)...) {
    self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
  }
}

extension LuaValue {
  /// The string, if this is a string (valid UTF-8).
  public var stringValue: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  /// The integer, also for floats with an exact integer value (as Lua's `math.tointeger`).
  public var integerValue: Int64? {
    switch self {
    case .integer(let i): return i
    case .number(let d): return Int64(exactly: d)
    default: return nil
    }
  }

  public var doubleValue: Double? {
    switch self {
    case .integer(let i): return Double(i)
    case .number(let d): return d
    default: return nil
    }
  }

  public var boolValue: Bool? {
    if case .boolean(let b) = self { return b }
    return nil
  }

  /// Object members by name; empty arrays count as empty objects.
  public var objectValue: [String: LuaValue]? {
    switch self {
    case .object(let o): return o
    case .array(let a) where a.isEmpty: return [:]
    default: return nil
    }
  }

  public var arrayValue: [LuaValue]? {
    switch self {
    case .array(let a): return a
    case .object(let o) where o.isEmpty: return []
    default: return nil
    }
  }

  public subscript(key: String) -> LuaValue {
    objectValue?[key] ?? .nil
  }

  public var isNil: Bool { self == .nil }

  /// Lua's own type name, for error messages.
  public var typeName: String {
    switch self {
    case .nil: return "nil"
    case .boolean: return "boolean"
    case .integer, .number: return "number"
    case .string, .bytes: return "string"
    case .array, .object, .table: return "table"
    case .jsonText: return "json"
    case .null: return "null"
    }
  }
}
