import CLua
import CLuaShim
import Foundation

/// What a job on the VM thread can do with the state. Not Sendable: it is
/// only valid inside `LuaVM.perform`, on the VM thread.
public struct LuaContext {
  let core: VMCore

  init(_ core: VMCore) { self.core = core }

  /// The raw state, for code that pushes and reads values itself.
  public var stack: LuaStack { LuaStack(core.L) }
  var L: OpaquePointer { core.L }

  // MARK: Globals and registration

  /// Sets a global, or a field of nested global tables (`"ashby.json"`),
  /// creating the tables on the way.
  public func setGlobal(_ path: String, _ value: LuaValue) {
    withField(path) { stack.push(value) }
  }

  /// Pops the value on top of the stack into `table[key]`, where `table` is a
  /// dotted global path (created as needed) and `key` is taken literally
  /// (`"ashby.util"` in `package.preload`).
  public func storeTop(in table: String, key: String) {
    let value = lua_gettop(L)
    pushTable(table)
    stack.push(.string(key))
    lua_pushvalue(L, value)
    lua_rawset(L, -3)
    lua_settop(L, value - 1)
  }

  /// Registers a host function at a global path (`"ashby.get_job"`).
  public func register(_ path: String, _ body: @escaping LuaHostFunction) {
    withField(path) { core.pushFunction(body) }
  }

  /// Registers an async host function: the calling coroutine waits, the VM does not.
  public func registerAsync(_ path: String, _ body: @escaping LuaAsyncFunction) {
    registerAsync(path, prepare: { stack in try stack.values() }, body)
  }

  /// Registers an async host function whose arguments are checked on the VM
  /// thread first: `prepare` reads the stack and may throw (raised at once, no
  /// wait); its result goes to `body`, which runs off the VM thread.
  public func registerAsync<Input: Sendable>(
    _ path: String, prepare: @escaping (LuaStack) throws -> Input,
    _ body: @escaping @Sendable (Input) async throws -> [LuaValue]
  ) {
    let core = self.core
    withField(path) {
      core.pushFunction { stack in
        let input = try prepare(stack)
        let id = try core.startAsync { try await body(input) }
        lua_pushinteger(stack.L, id)
        return LSH_WAIT
      }
    }
  }

  /// How host error tables read as one line: `tostring(err)`, and the
  /// message of an error that ends a run (formatted without running Lua).
  public func setErrorDescriber(_ describe: @escaping LuaErrorDescriber) {
    core.describeError = describe
  }

  /// Pushes the value at a dotted global path (nil when missing). Stack effect: pushes 1.
  public func pushGlobal(_ path: String) {
    lsh_pushglobaltable(L)
    for part in path.split(separator: ".") {
      guard lua_type(L, -1) == LUA_TTABLE else {
        lsh_pop(L, 1)
        lua_pushnil(L)
        return
      }
      stack.push(.string(String(part)))
      lua_rawget(L, -2)
      lsh_remove(L, -2)
    }
  }

  /// Pushes `json.encode/decode/array/null` at a global path.
  public func installJSON(at path: String) {
    withField(path) { _ = lsh_json_push_module(L) }
  }

  /// `after(f, post)` at `path`: a function that calls `f`, then returns
  /// `post(first result, first argument)` and `f`'s other results. Unlike a
  /// Lua wrapper it keeps the caller's line in errors after a tail call.
  public func installAfter(at path: String) {
    withField(path) { lsh_push_after(L) }
  }

  /// Pushes the value with `push`, then stores it at the dotted global path.
  /// Stack effect: none.
  func withField(_ path: String, _ push: () -> Void) {
    let top = lua_gettop(L)
    defer { lua_settop(L, top) }
    var parts = path.split(separator: ".").map(String.init)
    let last = parts.removeLast()
    pushTable(parts.joined(separator: "."))
    stack.push(.string(last))
    push()
    lua_rawset(L, -3)
  }

  /// Pushes the table at a dotted global path ("" is the globals), creating
  /// missing tables on the way. Stack effect: pushes 1.
  func pushTable(_ path: String) {
    lsh_pushglobaltable(L)
    for part in path.split(separator: ".").map(String.init) {
      stack.push(.string(part))
      lua_rawget(L, -2)
      if lua_type(L, -1) != LUA_TTABLE {
        lsh_pop(L, 1)
        lsh_newtable(L)
        stack.push(.string(part))
        lua_pushvalue(L, -2)
        lua_rawset(L, -4)
      }
      lsh_remove(L, -2)
    }
  }

  // MARK: Running code

  /// Compiles `source`. Stack effect: pushes the chunk on success.
  /// - Throws: `ScriptError` with `.syntax` (and `incompleteInput` for `<eof>`).
  public func load(_ source: String, name: String) throws(ScriptError) {
    var text = source
    let mode = core.options.sandbox ? "t" : "bt"
    let status = text.withUTF8 { buf in
      buf.withMemoryRebound(to: CChar.self) { lsh_loadbuffer(L, $0.baseAddress, $0.count, name, mode) }
    }
    if status != LUA_OK { throw ScriptErrors.syntax(L, status: status) }
  }

  /// Compiles a file like `lua` does (a first `#` line is skipped); nil reads
  /// standard input. Stack effect: pushes the chunk on success. Only a
  /// regular file is read (a FIFO is refused, not waited on).
  /// Under the sandbox, the file's folder becomes the only place `require` looks.
  /// - Parameter rawPath: the name's bytes as the command line gave them, when
  ///   they are not UTF-8 (`path` is then only how the name is shown).
  public func loadFile(_ path: String?, rawPath: [CChar]? = nil) throws(ScriptError) {
    let mode = core.options.sandbox ? "t" : "bt"
    guard let path else {
      let status = luaL_loadfilex(L, nil, core.options.sandbox ? "t" : nil)
      if status != LUA_OK { throw ScriptErrors.syntax(L, status: status) }
      return
    }
    let name = rawPath ?? Array(path.utf8CString)
    switch ScriptFile.read(path: name, limit: ScriptFile.maxScriptBytes) {
    case .failure(let refused):
      stack.push(.string("cannot open \(path): \(refused)"))
      throw ScriptErrors.syntax(L, status: LUA_ERRFILE)
    case .success(let bytes):
      let text = ScriptFile.skippingShebang(bytes)
      let status = text.withUnsafeBytes { buffer in
        lsh_loadbuffer(L, buffer.baseAddress?.assumingMemoryBound(to: CChar.self), buffer.count, "@\(path)", mode)
      }
      if status != LUA_OK { throw ScriptErrors.syntax(L, status: status) }
    }
    if core.options.sandbox { core.moduleRoot = ModuleFolder(script: name) }
  }

  /// Runs the chunk on top of the stack (below `args`) as a host coroutine
  /// until it returns. Stack effect: pops the chunk.
  /// - Parameter timeout: seconds of wall time before a `limit` error.
  /// - Parameter results: reads the results from the coroutine's stack.
  public func call<T>(
    args: [LuaValue] = [], timeout: Double? = nil,
    results: (LuaStack, Int32) throws -> T
  ) throws -> T {
    stack.push(args)
    return try core.driver.run(nargs: Int32(args.count), timeout: timeout, results: results)
  }

  /// Like `call(args:)`, with the `nargs` arguments already pushed above the chunk.
  public func call<T>(
    stackArguments nargs: Int32, timeout: Double? = nil, results: (LuaStack, Int32) throws -> T
  ) throws -> T {
    try core.driver.run(nargs: nargs, timeout: timeout, results: results)
  }

  /// Calls the function at a global path directly (protected, not as a host
  /// coroutine): for quick helpers such as REPL completion, never for scripts.
  public func callProtected(_ path: String, args: [LuaValue]) throws -> [LuaValue] {
    let base = lua_gettop(L)
    defer { lua_settop(L, base) }
    pushGlobal(path)
    stack.push(args)
    let status = lsh_pcall(L, Int32(args.count), LUA_MULTRET, 0)
    guard status == LUA_OK else { throw ScriptErrors.make(L, co: L, status: status, describe: core.describeError) }
    return try stack.values(from: base + 1)
  }

  /// Compiles and runs `source`; returns its results as data.
  @discardableResult
  public func run(_ source: String, name: String = "=(run)", args: [LuaValue] = [], timeout: Double? = nil)
    throws -> [LuaValue]
  {
    try load(source, name: name)
    return try call(args: args, timeout: timeout) { stack, n in
      try stack.values(from: stack.count - n + 1)
    }
  }
}
