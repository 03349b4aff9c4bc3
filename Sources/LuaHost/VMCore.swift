import CLua
import CLuaShim
import Foundation
import Logging

/// Owns the `lua_State`. Confined to the VM thread: every method must run
/// there, which `LuaVM` guarantees by only touching it from jobs it posts.
final class VMCore {
  let L: OpaquePointer
  let mailbox: Mailbox
  let options: LuaVM.Options
  let logger: Logger
  let inFlight: AsyncSemaphore
  private(set) var driver: Driver!
  /// `tostring(err)` for host error tables, and the message of an uncaught one.
  var describeError: LuaErrorDescriber = defaultErrorDescriber
  /// The folder a sandboxed `require` may load modules from: the script's
  /// own (resolved), set when the script is loaded; nil: embedded modules only.
  var moduleRoot: ModuleFolder?
  private var watchdog: Watchdog?

  init(options: LuaVM.Options, mailbox: Mailbox) throws(LuaHostError) {
    self.options = options
    self.mailbox = mailbox
    self.logger = options.logger
    self.inFlight = AsyncSemaphore(options.maxConcurrentCalls)
    guard let state = lsh_newstate(nil, dispatchHostCall, dispatchBlockingWait, releaseFunctionBox, dispatchWarning) else {
      throw LuaHostError(kind: .limit, message: "cannot create a Lua state")
    }
    L = state
    driver = Driver(core: self)
    let host = Unmanaged.passUnretained(self).toOpaque()
    lsh_set_host(L, host)
    guard lsh_openlibs(L) == LUA_OK else {
      lsh_close(L)
      throw LuaHostError(kind: .limit, message: "cannot open the Lua libraries")
    }
    installErrorTostring()
    if options.sandbox { try Sandbox.apply(L, core: self) }
    if let limit = options.memoryLimit { lsh_set_memory_limit(L, limit) }
    if let onRunaway = options.onRunaway { watchdog = Watchdog(state: L, onRunaway: onRunaway) }
  }

  /// The error metatable's `__tostring`: the describer, over the raw fields.
  private func installErrorTostring() {
    pushFunction { [unowned self] stack in
      guard stack.isTable(at: 1) else { throw LuaHostError.argument("expected an error table") }
      stack.push(.string(self.describeError(stack.scalarFields(at: 1))))
      return 1
    }
    lsh_set_error_tostring(L)
  }

  func close() {
    watchdog?.stop()
    driver.cancelTasks()
    lsh_close(L)  // runs every pending `__gc`: each function box is released
  }

  func warn(_ text: String) {
    logger.warning("\(text)")
  }

  /// Pushes a C closure that calls `body`. Stack effect: pushes 1.
  func pushFunction(_ body: @escaping (LuaStack) throws -> Int32) {
    // Retained once here, released by the closure's `__gc` (releaseFunctionBox) when Lua collects it.
    lsh_push_function(L, Unmanaged.passRetained(FunctionBox(body)).toOpaque())
  }

  /// Starts one async call; its completion wakes the waiting coroutine.
  func startAsync(_ work: @escaping @Sendable () async throws -> [LuaValue]) throws -> Int64 {
    try driver.checkNotInterrupted()
    let id = driver.newID()
    let mailbox = self.mailbox
    let inFlight = self.inFlight
    let task = Task {
      let result: Result<[LuaValue], any Error>
      do {
        try await inFlight.acquire()
        defer { inFlight.release() }
        result = .success(try await work())
      } catch {
        result = .failure(error)
      }
      mailbox.post(Completion(id: id, result: result))
    }
    driver.tasks[id] = task
    return id
  }
}
