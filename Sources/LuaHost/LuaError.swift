import CLua
import CLuaShim

/// What kind of failure an error table reports (`err.kind`).
///
/// Typed so hosts match kinds without string literals scattered around; open
/// (a raw string) so an embedder adds its own (`api`, `auth`, ...).
public struct LuaErrorKind: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
  public let rawValue: String
  public init(rawValue: String) { self.rawValue = rawValue }
  public init(stringLiteral value: String) { rawValue = value }
  public var description: String { rawValue }

  /// A bad value passed to a host function.
  public static let argument: LuaErrorKind = "argument"
  /// The host itself failed.
  public static let host: LuaErrorKind = "host"
  /// A time or memory limit ended the run.
  public static let limit: LuaErrorKind = "limit"
  /// Ctrl-C (or the embedder) stopped the run.
  public static let cancelled: LuaErrorKind = "cancelled"
  /// The chunk did not compile.
  public static let syntax: LuaErrorKind = "syntax"
}

/// A Swift error that knows how it looks as a Lua error table.
///
/// Scripts get structure (`err.kind`, `err.code`, ...) for `pcall`, and one
/// readable line from `tostring(err)`; the host adds `where` (file:line of the
/// script's call) when it raises.
public protocol LuaErrorConvertible: Error {
  /// Fields of the error table; `kind` and `message` should be among them.
  var luaErrorFields: [String: LuaValue] { get }
}

/// The host's own errors: argument checks, conversion failures, limits.
public struct LuaHostError: Error, LuaErrorConvertible, CustomStringConvertible, Equatable {
  public var kind: LuaErrorKind
  public var message: String
  public var extra: [String: LuaValue]

  public init(kind: LuaErrorKind, message: String, extra: [String: LuaValue] = [:]) {
    self.kind = kind
    self.message = message
    self.extra = extra
  }

  public static func argument(_ message: String) -> LuaHostError {
    LuaHostError(kind: .argument, message: message)
  }

  public var luaErrorFields: [String: LuaValue] {
    var fields = extra
    fields["kind"] = .string(kind.rawValue)
    fields["message"] = .string(message)
    return fields
  }

  public var description: String { "\(kind): \(message)" }
}

/// A limit or an interrupt, worded and built by the C runtime (hook.c), so
/// the hook, the driver and the host's conversions raise the same table.
struct LimitError: Error {
  /// `LSH_INTERRUPT_TIMEOUT`, `LSH_INTERRUPT_CANCEL` or `LSH_INTERRUPT_MEMORY`.
  let why: Int32

  static let memory = LimitError(why: LSH_INTERRUPT_MEMORY)

  /// The message, as `err.message` will say it ("time limit of 2 s exceeded").
  static func message(_ L: OpaquePointer, _ why: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 128)
    let n = lsh_limit_message(L, why, &buffer, buffer.count)
    return String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}

extension LuaStack {
  /// Pushes `error` as a Lua error table with the host's metatable.
  /// Stack effect: pushes 1.
  public func pushError(_ error: any Error) {
    if let limit = error as? LimitError {
      lsh_push_limit_error(L, limit.why)
      return
    }
    let fields: [String: LuaValue]
    if let convertible = error as? any LuaErrorConvertible {
      fields = convertible.luaErrorFields
    } else {
      fields = ["kind": .string(LuaErrorKind.host.rawValue), "message": .string(String(describing: error))]
    }
    push(.object(fields))
    lsh_push_error_mt(L)
    lua_setmetatable(L, -2)
  }

  /// Whether the value at `index` is an error table made by the host (it has the host's metatable).
  public func isHostError(at index: Int32) -> Bool { lsh_is_host_error(L, index) != 0 }

  /// The string, number and boolean fields of the table at `index`, read raw:
  /// what describing an error needs, never its (possibly large) `result`.
  func scalarFields(at index: Int32) -> [String: LuaValue] {
    let idx = lua_absindex(L, index)
    var fields: [String: LuaValue] = [:]
    _ = lua_checkstack(L, 3)
    lua_pushnil(L)
    while lua_next(L, idx) != 0 {
      defer { lsh_pop(L, 1) }
      guard let key = string(at: -2) else { continue }
      switch lua_type(L, -1) {
      case LUA_TSTRING: fields[key] = string(at: -1).map(LuaValue.string)
      case LUA_TNUMBER:
        fields[key] = lua_isinteger(L, -1) != 0 ? .integer(lua_tointegerx(L, -1, nil)) : .number(lua_tonumberx(L, -1, nil))
      case LUA_TBOOLEAN: fields[key] = .boolean(lua_toboolean(L, -1) != 0)
      default: break
      }
    }
    return fields
  }
}

/// Turns an error table's fields into the one line `tostring(err)` prints.
/// The embedder installs its own (`LuaContext.setErrorDescriber`); the host
/// also uses it to describe an uncaught error without running any Lua.
public typealias LuaErrorDescriber = ([String: LuaValue]) -> String

/// `kind (code): message at where`: the host's describer, and the tail of an embedder's.
public func defaultErrorDescriber(_ fields: [String: LuaValue]) -> String {
  var text = ""
  if let kind = fields["kind"]?.stringValue {
    text += kind
    if let code = fields["code"]?.stringValue { text += " (\(code))" }
    text += ": "
  }
  text += fields["message"]?.stringValue ?? "error"
  if let place = fields["where"]?.stringValue { text += " at \(place)" }
  return text
}

/// A script ended with an uncaught error.
public struct ScriptError: Error, CustomStringConvertible, Sendable {
  public enum Status: Sendable { case runtime, syntax, memory, handler }

  public var status: Status
  /// One line: `tostring` of the error value.
  public var message: String
  /// The error value itself when it converts (a table error keeps its fields).
  public var value: LuaValue
  /// `kind` of a table error (`limit`, `cancelled`, `auth`, ...), if any.
  public var kind: LuaErrorKind?
  public var file: String?
  public var line: Int?
  public var traceback: String
  /// A syntax error at the end of the input: the REPL reads another line.
  public var incompleteInput: Bool

  public var description: String { message }
}
