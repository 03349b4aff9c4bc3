import CLua
import CLuaShim

/// Builds `ScriptError`s from a failed coroutine or chunk.
enum ScriptErrors {
  /// The error value is on top of `co`'s stack (left there). Reads it without
  /// raising: `tostring` and the traceback run protected.
  static func make(_ L: OpaquePointer, co: OpaquePointer, status: Int32) -> ScriptError {
    let stack = LuaStack(co)
    let value = (try? stack.value(at: -1)) ?? .nil
    let message = describe(co, at: -1)
    var kind: String?
    var whereText: String?
    if case .object(let fields) = value {
      kind = fields["kind"]?.stringValue
      whereText = fields["where"]?.stringValue
    }
    let (file, line) = location(whereText ?? message)
    var traceback = ""
    if lsh_traceback(L, co, nil, 0) == LUA_OK { traceback = LuaStack(L).string(at: -1) ?? "" }
    lsh_pop(L, 1)
    return ScriptError(
      status: status == LUA_ERRMEM ? .memory : (status == LUA_ERRSYNTAX ? .syntax : .runtime),
      message: message, value: value, kind: kind, file: file, line: line,
      traceback: traceback, incompleteInput: false)
  }

  /// A chunk failed to compile; its message is on top of L (popped).
  static func syntax(_ L: OpaquePointer, status: Int32) -> ScriptError {
    let message = LuaStack(L).string(at: -1) ?? "syntax error"
    lsh_pop(L, 1)
    let (file, line) = location(message)
    return ScriptError(
      status: status == LUA_ERRMEM ? .memory : .syntax, message: message, value: .string(message),
      kind: status == LUA_ERRSYNTAX ? "syntax" : nil, file: file, line: line, traceback: "",
      incompleteInput: message.hasSuffix("<eof>"))
  }

  /// `tostring` of the value at idx, protected; a fallback when that fails.
  static func describe(_ L: OpaquePointer, at idx: Int32) -> String {
    let absolute = lua_absindex(L, idx)
    defer { lua_settop(L, absolute) }
    if lsh_tostring(L, absolute) == LUA_OK, let s = LuaStack(L).string(at: -1) { return s }
    return "(error object is a \(LuaStack(L).typeName(at: absolute)) value)"
  }

  /// `file:line` at the start of a message, or a `where` field.
  static func location(_ text: String) -> (String?, Int?) {
    let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
    guard parts.count >= 2, let line = Int(parts[1]) else { return (nil, nil) }
    return (String(parts[0]), line)
  }
}
