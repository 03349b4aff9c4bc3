import AshbyJSON
import AshbyKit
import LuaHost

/// Lua data ↔ Ashby JSON. Parameters arrive as Lua tables and leave as JSON;
/// results arrive as JSON and become tables with Ashby's own key spelling.
public enum JSONBridge {
  /// Ashby's text, for the C codec to decode into tables as it is pushed.
  static func lua(_ raw: RawJSON) -> LuaValue { .jsonText(raw.bytes) }

  public static func lua(_ json: JSONValue) -> LuaValue {
    switch json {
    case .null: return .null
    case .bool(let b): return .boolean(b)
    case .int(let i): return .integer(i)
    case .double(let d): return .number(d)
    case .string(let s): return .string(s)
    case .array(let a): return .array(a.map(lua))
    case .object(let o): return .object(o.mapValues(lua))
    }
  }

  /// - Throws: an argument error naming `path` for what JSON cannot carry.
  public static func json(_ value: LuaValue, path: String, action: String?) throws(AshbyError) -> JSONValue {
    func fail(_ why: String) -> AshbyError { AshbyError.argument(path, "\"\(path)\" \(why)", action: action) }
    switch value {
    case .nil, .null: return .null
    case .boolean(let b): return .bool(b)
    case .integer(let i): return .int(i)
    case .number(let d):
      guard d.isFinite else { throw fail("must be a finite number") }
      return .double(d)
    case .string(let s): return .string(s)
    case .bytes: throw fail("is not valid UTF-8 text")
    case .array(let items):
      var out: [JSONValue] = []
      for (i, item) in items.enumerated() { out.append(try json(item, path: "\(path)[\(i + 1)]", action: action)) }
      return .array(out)
    case .object(let members):
      var out: [String: JSONValue] = [:]
      for (k, v) in members { out[k] = try json(v, path: path.isEmpty ? k : "\(path).\(k)", action: action) }
      return .object(out)
    case .table: throw fail("mixes list items and keys, or has keys that are not strings")
    case .jsonText(let text):
      guard let raw = RawJSON(text) else { throw fail("is not valid JSON") }
      return raw.value
    }
  }

  /// The parameters table of a call: a table with string keys (or nothing).
  static func parameters(_ value: LuaValue, action: String) throws(AshbyError) -> [String: JSONValue] {
    switch value {
    case .nil: return [:]
    case .object, .array([]):
      return try json(value, path: "", action: action).object ?? [:]
    default:
      throw AshbyError.argument(
        "params", "expects a table of parameters, like { job_id = \"...\" }, got a \(value.typeName)", action: action)
    }
  }
}

extension AshbyError: LuaErrorConvertible {
  /// The Lua error table of DESIGN.md §2.
  public var luaErrorFields: [String: LuaValue] {
    var f: [String: LuaValue] = [
      "kind": .string(kind.rawValue), "message": .string(message), "retryable": .boolean(retryable),
    ]
    if let code { f["code"] = .string(code) }
    if let action { f["action"] = .string(action) }
    if let endpoint { f["endpoint"] = .string(endpoint) }
    if let status { f["status"] = .integer(Int64(status)) }
    if let requestId { f["request_id"] = .string(requestId) }
    if let parameter { f["parameter"] = .string(parameter) }
    if let permission { f["permission"] = .string(permission) }
    if let scope { f["scope"] = .string(scope) }
    if let limit { f["limit"] = .string(limit) }
    if partial {
      f["partial"] = true
      if let result { f["result"] = JSONBridge.lua(result) }
    }
    return f
  }
}
