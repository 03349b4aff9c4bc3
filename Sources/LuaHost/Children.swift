import CLua
import CLuaShim

/// Spawned children and the coroutines waiting on them. VM thread only.
///
/// A child's outcome is kept as a registry ref (its first result, or its
/// error) until the run ends; one child's failure never touches its siblings.
struct Children {
  enum State {
    case running(Driver.HostThread)
    case done(result: Int32)  // registry ref of the first result
    case failed(error: Int32)  // registry ref of the error value
  }

  struct Wait {
    let handles: [Int64]
    let any: Bool
  }

  private var states: [Int64: State] = [:]
  private var threads: [Int64: Driver.HostThread] = [:]
  private var waits: [Int64: Wait] = [:]

  mutating func add(_ handle: Int64, thread: Driver.HostThread) {
    states[handle] = .running(thread)
    threads[handle] = thread
  }

  func isKnown(_ handle: Int64) -> Bool { states[handle] != nil }

  func isDone(_ handle: Int64) -> Bool {
    if case .running = states[handle] { return false }
    return states[handle] != nil
  }

  func isWait(_ id: Int64) -> Bool { waits[id] != nil }

  mutating func addWait(_ id: Int64, handles: [Int64], any: Bool) {
    waits[id] = Wait(handles: handles, any: any)
  }

  mutating func cancelWait(_ id: Int64) { waits[id] = nil }

  /// The child returned: keep its first result. Stack effect on co: clears it.
  mutating func finish(_ handle: Int64, co: OpaquePointer, nres: Int32, L: OpaquePointer) {
    if nres > 0 {
      lua_settop(co, lua_gettop(co) - nres + 1)
    } else {
      lua_pushnil(co)
    }
    lua_xmove(co, L, 1)
    states[handle] = .done(result: luaL_ref(L, lsh_registryindex()))
    lua_settop(co, 0)
  }

  /// The child failed: keep its error value.
  mutating func fail(_ handle: Int64, co: OpaquePointer, L: OpaquePointer) {
    lua_xmove(co, L, 1)
    states[handle] = .failed(error: luaL_ref(L, lsh_registryindex()))
  }

  /// Waits that can now be resumed (removed from the waiting list later, when resumed).
  func satisfiedWaits() -> [Int64] {
    waits.filter { _, w in
      w.any ? w.handles.contains(where: isDone) : w.handles.allSatisfy(isDone)
    }.keys.sorted()
  }

  /// Pushes `true, results...` for a satisfied wait, or `false, error` when a
  /// child failed (the first failure in argument order). Returns the count.
  mutating func pushWaitResults(_ id: Int64, on co: OpaquePointer, L: OpaquePointer) -> Int32 {
    guard let wait = waits.removeValue(forKey: id) else {
      lua_pushboolean(co, 0)
      LuaStack(co).pushError(LuaHostError(kind: .host, message: "unknown wait"))
      return 2
    }
    return pushResults(of: wait.handles, any: wait.any, on: co, L: L)
  }

  /// Stack effect on co: pushes the returned count.
  func pushResults(of handles: [Int64], any: Bool, on co: OpaquePointer, L: OpaquePointer) -> Int32 {
    _ = lua_checkstack(co, Int32(handles.count) + 3)
    if any, let index = handles.firstIndex(where: isDone) {
      return pushOne(handles[index], position: index + 1, on: co, L: L)
    }
    if let failed = handles.first(where: { if case .failed = states[$0] { return true } else { return false } }),
      case .failed(let ref) = states[failed]
    {
      lua_pushboolean(co, 0)
      push(ref, on: co, L: L)
      return 2
    }
    lua_pushboolean(co, 1)
    for handle in handles {
      if case .done(let ref) = states[handle] { push(ref, on: co, L: L) } else { lua_pushnil(co) }
    }
    return Int32(handles.count) + 1
  }

  private func pushOne(_ handle: Int64, position: Int, on co: OpaquePointer, L: OpaquePointer) -> Int32 {
    switch states[handle] {
    case .done(let ref):
      lua_pushboolean(co, 1)
      lua_pushinteger(co, Int64(position))
      push(ref, on: co, L: L)
      return 3
    case .failed(let ref):
      lua_pushboolean(co, 0)
      push(ref, on: co, L: L)
      return 2
    default:
      lua_pushboolean(co, 1)
      return 1
    }
  }

  private func push(_ ref: Int32, on co: OpaquePointer, L: OpaquePointer) {
    lua_rawgeti(L, lsh_registryindex(), Int64(ref))
    lua_xmove(L, co, 1)
  }

  /// Forgets everything; returns the threads still running so the driver closes them.
  mutating func removeAll(L: OpaquePointer) -> [Driver.HostThread] {
    var running: [Driver.HostThread] = []
    for (handle, state) in states {
      switch state {
      case .running(let t): running.append(t)
      case .done(let ref), .failed(let ref):
        luaL_unref(L, lsh_registryindex(), ref)
        if let t = threads[handle] { luaL_unref(L, lsh_registryindex(), t.ref) }
      }
    }
    states.removeAll()
    threads.removeAll()
    waits.removeAll()
    return running
  }
}
