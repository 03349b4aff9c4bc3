import CLua
import CLuaShim

/// A host function as Lua calls it: it reads its arguments from the stack and
/// returns how many results it pushed. Throwing raises a Lua error table.
public typealias LuaHostFunction = (LuaStack) throws -> Int32

/// An async host function: plain data in, plain data out, run off the VM
/// thread. Only the calling coroutine waits for it (docs/async.md).
public typealias LuaAsyncFunction = @Sendable ([LuaValue]) async throws -> [LuaValue]

/// Keeps a Swift closure alive for as long as the state can call it: the C
/// closure's upvalue is a userdata holding one retain, given up by its `__gc`
/// (so a function replaced or dropped frees what its closure captured then,
/// not when the VM closes).
final class FunctionBox {
  let body: (LuaStack) throws -> Int32
  init(_ body: @escaping (LuaStack) throws -> Int32) { self.body = body }
}

/// The one entry point from C for every registered Swift function.
/// Never lets an error escape: it becomes an error value and `LSH_ERROR`.
let dispatchHostCall: lsh_call_fn = { L, box in
  guard let L, let box else { return LSH_ERROR }
  let stack = LuaStack(L)
  // The box is kept alive by the closure being called (its upvalue owns it); borrowing
  // it skips a retain/release pair on every call (the hot path of every host function).
  return Unmanaged<FunctionBox>.fromOpaque(box)._withUnsafeGuaranteedRef { function in
    do {
      return try function.body(stack)
    } catch {
      stack.pushError(error)
      return LSH_ERROR
    }
  }
}

/// A function box's owner was collected: its one retain is given up. Touches no Lua.
let releaseFunctionBox: lsh_release_fn = { box in
  guard let box else { return }
  Unmanaged<FunctionBox>.fromOpaque(box).release()
}

/// Where the trampoline cannot yield: wait on the VM thread for that call.
let dispatchBlockingWait: lsh_block_fn = { L, id, host in
  guard let L, let host else { return 0 }
  let core = Unmanaged<VMCore>.fromOpaque(host).takeUnretainedValue()
  return core.driver.blockingWait(L, id: id)
}

let dispatchWarning: lsh_warn_fn = { host, message, length in
  guard let host, let message else { return }
  let core = Unmanaged<VMCore>.fromOpaque(host).takeUnretainedValue()
  let text = String(
    decoding: UnsafeRawBufferPointer(start: message, count: length), as: UTF8.self)
  core.warn(text)
}
