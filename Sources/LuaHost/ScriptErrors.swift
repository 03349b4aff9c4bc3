import CLua
import CLuaShim

/// Builds `ScriptError`s from a failed coroutine or chunk.
enum ScriptErrors {
  /// The error value is on top of `co`'s stack (left there). Reads it without
  /// raising. A host error table is described by `describe`, without running
  /// Lua; any other value through a protected `tostring`, which the run's
  /// clean-up deadline bounds (a script's `__tostring` may loop).
  static func make(_ L: OpaquePointer, co: OpaquePointer, status: Int32, describe: LuaErrorDescriber) -> ScriptError {
    if status == LUA_ERRMEM && lsh_memory_limit(L) > 0 {
      lua_settop(co, lua_gettop(co) - 1)
      lsh_push_limit_error(co, LSH_INTERRUPT_MEMORY)  // "memory limit of 64 MB exceeded", not "not enough memory"
    }
    let stack = LuaStack(co)
    let value = (try? stack.value(at: -1)) ?? .nil
    let message = self.describe(co, at: -1, describe: describe)
    var kind: LuaErrorKind?
    var whereText: String?
    if stack.isTable(at: -1) {
      let fields = stack.scalarFields(at: -1)
      kind = fields["kind"]?.stringValue.map(LuaErrorKind.init(rawValue:))
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
      kind: status == LUA_ERRSYNTAX ? .syntax : nil, file: file, line: line, traceback: "",
      incompleteInput: message.hasSuffix("<eof>"))
  }

  /// One line for the value at idx; a fallback when `tostring` fails.
  static func describe(_ L: OpaquePointer, at idx: Int32, describe: LuaErrorDescriber) -> String {
    let stack = LuaStack(L)
    if stack.isHostError(at: idx) { return describe(stack.scalarFields(at: idx)) }
    if lua_type(L, idx) == LUA_TSTRING, let s = stack.string(at: idx) { return s }
    let absolute = lua_absindex(L, idx)
    // A script's own error table ({ kind = ..., message = ... }) reads as the host's do, unless it says
    // how it prints (`__tostring`); not `table: 0x...`.
    if stack.isTable(at: absolute) {
      let fields = stack.scalarFields(at: absolute)
      if fields["message"]?.stringValue != nil {
        if luaL_getmetafield(L, absolute, "__tostring") == LUA_TNIL { return describe(fields) }
        lsh_pop(L, 1)
      }
    }
    defer { lua_settop(L, absolute) }
    if lsh_tostring(L, absolute) == LUA_OK, let s = stack.string(at: -1) { return s }
    return "(error object is a \(stack.typeName(at: absolute)) value)"
  }

  /// `file:line` at the start of a message, or a `where` field.
  static func location(_ text: String) -> (String?, Int?) {
    let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
    guard parts.count >= 2, let line = Int(parts[1]) else { return (nil, nil) }
    return (String(parts[0]), line)
  }
}
