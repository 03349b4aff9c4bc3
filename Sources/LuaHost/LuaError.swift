import CLua
import CLuaShim

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
  public var kind: String
  public var message: String
  public var extra: [String: LuaValue]

  public init(kind: String, message: String, extra: [String: LuaValue] = [:]) {
    self.kind = kind
    self.message = message
    self.extra = extra
  }

  public static func argument(_ message: String) -> LuaHostError {
    LuaHostError(kind: "argument", message: message)
  }

  public var luaErrorFields: [String: LuaValue] {
    var fields = extra
    fields["kind"] = .string(kind)
    fields["message"] = .string(message)
    return fields
  }

  public var description: String { "\(kind): \(message)" }
}

extension LuaStack {
  /// Pushes `error` as a Lua error table with the shared metatable.
  /// Stack effect: pushes 1.
  public func pushError(_ error: any Error) {
    let fields: [String: LuaValue]
    if let convertible = error as? any LuaErrorConvertible {
      fields = convertible.luaErrorFields
    } else {
      fields = ["kind": "host", "message": .string(String(describing: error))]
    }
    push(.object(fields))
    lsh_push_error_mt(L)
    lua_setmetatable(L, -2)
  }
}

extension LuaStack {
  /// Whether the value at `index` is an error table made by the host (it has the shared metatable).
  public func isHostError(at index: Int32) -> Bool {
    guard lua_type(L, index) == LUA_TTABLE, lua_getmetatable(L, index) != 0 else { return false }
    lsh_push_error_mt(L)
    defer { lsh_pop(L, 2) }
    return lua_rawequal(L, -1, -2) != 0
  }
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
  public var kind: String?
  public var file: String?
  public var line: Int?
  public var traceback: String
  /// A syntax error at the end of the input: the REPL reads another line.
  public var incompleteInput: Bool

  public var description: String { message }
}
