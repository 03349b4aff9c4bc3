import CLua
import CLuaShim

/// Runs host coroutines: resumes whoever is runnable, parks whoever waits,
/// and wakes them as completions arrive (docs/async.md). VM thread only.
final class Driver {
  /// A host thread (the run's main coroutine or a spawned child) kept alive by a registry ref.
  struct HostThread {
    let ref: Int32
    let co: OpaquePointer
    let child: Int64?  // the handle id for a child, nil for the main coroutine
  }

  enum Outcome {
    case parked
    case finished(nres: Int32)
    case failed(status: Int32)
  }

  unowned let core: VMCore
  private var lastID: Int64 = 0
  var tasks: [Int64: Task<Void, Never>] = [:]
  private var parked: [Int64: HostThread] = [:]
  /// Completions taken from the mailbox while blocking for another one.
  private var deferred: [Completion] = []
  /// Wait ids (children waits) that are ready to resume.
  private var ready: [Int64] = []
  var children = Children()
  private var deadline: Double = 0
  private var running = false

  init(core: VMCore) { self.core = core }

  var L: OpaquePointer { core.L }

  func newID() -> Int64 {
    lastID += 1
    return lastID
  }

  // MARK: Running a main coroutine

  /// Runs the function on top of the main stack (with `nargs` arguments above
  /// it) as a host coroutine until it and every wait it starts are done.
  /// Stack effect on L: pops the function and arguments; pushes nothing.
  /// `results` reads the coroutine's results (its stack) when it returns.
  func run<T>(nargs: Int32, timeout: Double?, results: (LuaStack, Int32) throws -> T) throws -> T {
    guard !running else { throw LuaHostError(kind: .host, message: "a run is already in progress") }
    if let timeout, !(timeout > 0 && timeout <= Self.maxTimeout) {
      lua_settop(L, lua_gettop(L) - nargs - 1)
      throw LuaHostError.argument("the time limit must be more than 0 and at most \(Int(Self.maxTimeout)) seconds")  // Int of a constant
    }
    running = true
    core.mailbox.clearWakeups()
    lsh_begin_run(L, timeout ?? 0)
    deadline = lsh_run_deadline(L)
    let main = makeHostThread(child: nil, moving: nargs + 1)
    defer {
      finishRun()
      _ = lsh_resetthread(main.co)  // runs the script's pending `<close>` handlers
      lsh_end_run(L)
      release(main)
      running = false
    }
    mainOutcome = nil
    settle(main, resume(main, nargs: nargs))
    while mainOutcome == nil {
      if let event = nextEvent() { dispatch(event) }
    }
    let outcome = mainOutcome ?? .parked
    mainOutcome = nil
    switch outcome {
    case .finished(let nres):
      let value = try results(LuaStack(main.co), nres)
      lua_settop(main.co, 0)
      return value
    case .failed(let status):
      lsh_begin_cleanup(L)  // an armed hook would stop a script's __tostring at once; the deadline still bounds it
      throw ScriptErrors.make(L, co: main.co, status: status, describe: core.describeError)
    case .parked:
      throw LuaHostError(kind: .host, message: "the script stopped without finishing")
    }
  }

  static var maxTimeout: Double { LuaVM.maxTimeLimit }

  /// Set by `settle` when the run's main coroutine returns or fails.
  private var mainOutcome: Outcome?

  // MARK: Events

  private enum LocalEvent {
    case completion(Completion)
    case ready(Int64)
  }

  /// The next thing to do, or nil after handling an interrupt or the deadline.
  private func nextEvent() -> LocalEvent? {
    if !ready.isEmpty { return .ready(ready.removeFirst()) }
    if !deferred.isEmpty { return .completion(deferred.removeFirst()) }
    switch core.mailbox.nextEvent(until: deadline) {
    case .completion(let c): return .completion(c)
    case .woken, .timedOut:
      abortIfInterrupted()
      return nil
    }
  }

  private func dispatch(_ event: LocalEvent) {
    switch event {
    case .completion(let c):
      tasks[c.id] = nil
      guard let thread = parked.removeValue(forKey: c.id) else { return }  // stale
      let n = pushCompletion(c.result, on: thread.co)
      settle(thread, resume(thread, nargs: n))
    case .ready(let waitID):
      guard let thread = parked.removeValue(forKey: waitID) else { return }
      let n = children.pushWaitResults(waitID, on: thread.co, L: L)
      settle(thread, resume(thread, nargs: n))
    }
  }

  /// Records what a resumed host thread did.
  func settle(_ thread: HostThread, _ outcome: Outcome) {
    if let handle = thread.child {
      switch outcome {
      case .parked: return
      case .finished(let nres):
        children.finish(handle, co: thread.co, nres: nres, L: L)
      case .failed:
        children.fail(handle, co: thread.co, L: L)
      }
      ready.append(contentsOf: children.satisfiedWaits())
    } else if case .parked = outcome {
      return
    } else {
      mainOutcome = outcome
    }
  }

  /// Resumes a host thread with `nargs` values on its stack.
  func resume(_ thread: HostThread, nargs: Int32, from: OpaquePointer? = nil) -> Outcome {
    var nres: Int32 = 0
    let status = lsh_resume(thread.co, from, nargs, &nres)
    switch status {
    case LUA_YIELD:
      if nres == 2 && lsh_is_sentinel(thread.co, -2) != 0 {
        let id = lsh_tointeger(thread.co, -1)
        lsh_pop(thread.co, 2)
        parked[id] = thread
        return .parked
      }
      lsh_pop(thread.co, nres)
      _ = "attempt to yield from outside a coroutine".withCString { lua_pushstring(thread.co, $0) }
      return .failed(status: LUA_ERRRUN)
    case LUA_OK:
      return .finished(nres: nres)
    default:
      return .failed(status: status)
    }
  }

  /// Pushes `ok, values...` (or `false, error`) for a completion. Returns the count.
  private func pushCompletion(_ result: Result<[LuaValue], any Error>, on co: OpaquePointer) -> Int32 {
    let stack = LuaStack(co)
    switch result {
    case .success(let values):
      _ = lua_checkstack(co, Int32(values.count) + 2)
      let base = lua_gettop(co)
      lua_pushboolean(co, 1)
      let status = stack.pushChecked(values)
      if status == LUA_OK { return Int32(values.count) + 1 }
      lua_settop(co, base)
      lua_pushboolean(co, 0)
      stack.pushError(
        status == LUA_ERRMEM
          ? LimitError.memory
          : LuaHostError(kind: .host, message: "a host function returned JSON text that is not valid"))
      return 2
    case .failure(let error):
      lua_pushboolean(co, 0)
      stack.pushError(error is CancellationError ? interruptError() : error)
      return 2
    }
  }

  // MARK: Blocking fallback

  /// Waits on the VM thread for `id` where the caller cannot yield. Pushes
  /// `ok, values...` on `co` and returns the count. Other completions stay
  /// queued, except that a wait for children keeps the children running.
  func blockingWait(_ co: OpaquePointer, id: Int64) -> Int32 {
    let waitsForChildren = children.isWait(id)
    while true {
      if let i = ready.firstIndex(of: id) {
        ready.remove(at: i)
        return children.pushWaitResults(id, on: co, L: L)
      }
      if let i = deferred.firstIndex(where: { $0.id == id }) {
        let c = deferred.remove(at: i)
        tasks[id] = nil
        return pushCompletion(c.result, on: co)
      }
      if lsh_interrupted(L) != LSH_INTERRUPT_NONE {
        tasks.removeValue(forKey: id)?.cancel()
        children.cancelWait(id)
        return pushCompletion(.failure(interruptError()), on: co)
      }
      if waitsForChildren, let event = nextEvent() {
        dispatch(event)
        continue
      }
      switch core.mailbox.nextEvent(until: deadline) {
      case .completion(let c) where c.id == id:
        tasks[id] = nil
        return pushCompletion(c.result, on: co)
      case .completion(let c): deferred.append(c)
      case .woken, .timedOut: abortIfInterrupted()
      }
    }
  }

  // MARK: Interrupts and clean-up

  func checkNotInterrupted() throws {
    if lsh_interrupted(L) != LSH_INTERRUPT_NONE { throw interruptError() }
  }

  func interruptError() -> LimitError {
    LimitError(why: lsh_interrupted(L) == LSH_INTERRUPT_TIMEOUT ? LSH_INTERRUPT_TIMEOUT : LSH_INTERRUPT_CANCEL)
  }

  /// After Ctrl-C or the deadline: cancel every task and wake every parked
  /// thread with the error. The count hook stops whatever Lua code runs next.
  private func abortIfInterrupted() {
    if lsh_interrupted(L) == LSH_INTERRUPT_NONE {
      guard deadline > 0, lsh_now() >= deadline else { return }
      lsh_interrupt(L, LSH_INTERRUPT_TIMEOUT)
    }
    cancelTasks()
    let waiting = parked
    parked.removeAll()
    for (id, thread) in waiting.sorted(by: { $0.key < $1.key }) {
      children.cancelWait(id)
      settle(thread, resume(thread, nargs: pushCompletion(.failure(interruptError()), on: thread.co)))
    }
  }

  /// Cancels what the run left behind and closes its threads (running `<close>`).
  /// (Only children can still be parked: the main coroutine has finished.)
  private func finishRun() {
    cancelTasks()
    lsh_begin_cleanup(L)  // `<close>` handlers get a grace period, bounded by the watchdog's time
    parked.removeAll()
    for thread in children.removeAll(L: L) {
      _ = lsh_resetthread(thread.co)
      release(thread)
    }
    deferred.removeAll()
    ready.removeAll()
    deadline = 0
  }

  /// Cancels every async call still running.
  func cancelTasks() {
    for task in tasks.values { task.cancel() }
    tasks.removeAll()
  }

  // MARK: Threads

  /// Creates a host thread and moves the top `moving` values of L (a function
  /// and its arguments) onto it. Stack effect on L: pops `moving`.
  func makeHostThread(child: Int64?, moving: Int32, from source: OpaquePointer? = nil) -> HostThread {
    let from = source ?? L
    // lua_newthread returns nil only when malloc itself fails (the cap is lifted here): nothing to recover.
    guard let co = lua_newthread(from) else { fatalError("out of memory creating a Lua thread") }
    lsh_mark_host_thread(from, -1)
    let ref = luaL_ref(from, lsh_registryindex())
    lua_xmove(from, co, moving)
    return HostThread(ref: ref, co: co, child: child)
  }

  func release(_ thread: HostThread) {
    luaL_unref(L, lsh_registryindex(), thread.ref)
  }
}
