import CLua
import CLuaShim
import Foundation

/// Parallelism primitives for scripts: `spawn`, `wait`, `wait_any`, `sleep`.
///
/// A child runs at once until its first wait; the driver resumes it as its
/// completions arrive. Handles are tables `{id = n}` with the `task` metatable.
extension LuaContext {
  public func installTaskLibrary(at path: String) {
    let driver = core.driver!
    let L = core.L

    register("\(path).spawn") { stack in
      guard stack.isFunction(at: 1) else {
        throw LuaHostError.argument("spawn: argument 1 must be a function, got \(stack.typeName(at: 1))")
      }
      let n = stack.count
      let handle = driver.newID()
      let thread = driver.makeHostThread(child: handle, moving: n, from: stack.L)
      driver.children.add(handle, thread: thread)
      driver.settle(thread, driver.resume(thread, nargs: n - 1, from: stack.L))
      Self.pushHandle(stack, handle)
      return 1
    }

    for (name, any) in [("wait", false), ("wait_any", true)] {
      register("\(path).\(name)") { stack in
        guard stack.count > 0 else { return 0 }
        let handles = try (1...stack.count).map { i in
          try Self.handleID(stack, at: i, function: name, known: driver.children)
        }
        let done = any ? handles.contains(where: driver.children.isDone) : handles.allSatisfy(driver.children.isDone)
        if done {
          stack.setTop(0)
          let n = driver.children.pushResults(of: handles, any: any, on: stack.L, L: L)
          let ok = lua_toboolean(stack.L, 1) != 0
          lsh_remove(stack.L, 1)
          return ok ? n - 1 : LSH_ERROR
        }
        let id = driver.newID()
        driver.children.addWait(id, handles: handles, any: any)
        lua_pushinteger(stack.L, id)
        return LSH_WAIT
      }
    }

    registerAsync("\(path).sleep") { args in
      guard let seconds = args.first?.doubleValue, seconds >= 0, seconds <= Driver.maxTimeout else {
        throw LuaHostError(
          kind: .argument, message: "sleep: seconds must be a number from 0 to \(Int(Driver.maxTimeout)) (a year)",  // a constant
          extra: ["parameter": "seconds"])
      }
      try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))  // at most ~3.2e16: in range
      return []
    }
  }

  /// Stack effect: pushes 1.
  static func pushHandle(_ stack: LuaStack, _ handle: Int64) {
    lua_createtable(stack.L, 0, 1)
    lua_pushinteger(stack.L, handle)
    lua_setfield(stack.L, -2, "id")
    if luaL_newmetatable(stack.L, "task") != 0 {
      stack.push(.string("task"))
      lua_setfield(stack.L, -2, "__name")
      stack.push(.string("locked"))  // the host's own: scripts can neither see nor change it
      lua_setfield(stack.L, -2, "__metatable")
    }
    lua_setmetatable(stack.L, -2)
  }

  static func handleID(_ stack: LuaStack, at i: Int32, function: String, known: Children) throws -> Int64 {
    let L = stack.L
    var id: Int64?
    if lua_type(L, i) == LUA_TTABLE, lua_getmetatable(L, i) != 0 {
      _ = lsh_getmetatable_named(L, "task")
      let isTask = lua_rawequal(L, -1, -2) != 0
      lsh_pop(L, 2)
      if isTask {
        lua_pushstring(L, "id")
        lua_rawget(L, i)
        id = stack.integer(at: -1)
        lsh_pop(L, 1)
      }
    }
    guard let id, known.isKnown(id) else {
      throw LuaHostError.argument("\(function): argument \(i) must be a task handle from spawn in this run")
    }
    return id
  }
}
