import CLuaShim
import Foundation
import Logging

/// A Lua 5.4 VM on a thread of its own.
///
/// Why a thread: the VM sometimes blocks (a host call where Lua cannot yield),
/// and blocking a Swift-concurrency thread would starve every task in the
/// process. Everything that touches the state runs as a job on that thread;
/// async host calls run elsewhere and post their completions back to it.
public final class LuaVM: Sendable {
  public struct Options: Sendable {
    /// No `io`, `os.execute`/`exit`/`remove`/`rename`/`getenv`, C modules,
    /// `debug` (but `traceback`), `string.dump`, binary chunks.
    public var sandbox = false
    /// Why the sandbox is on and how to lift it, for the message a script gets
    /// when it reaches for what the sandbox took away (`Sandbox.scheduledReason`).
    public var sandboxReason = Sandbox.flagReason
    /// Bytes Lua may hold; allocations past it fail with a memory error.
    public var memoryLimit: Int?
    /// Async host calls running at once; more wait their turn.
    public var maxConcurrentCalls = 16
    public var logger = Logger(label: "ashby-lua.lua")
    /// Called once, from the watchdog's thread, when a run with a time limit
    /// is still going at its limit plus a grace (half the limit, 0.25 to 2 s):
    /// the hook cannot reach code that never returns to Lua (a pattern match,
    /// a finalizer or an `xpcall` handler, which Lua runs with hooks off).
    /// Nothing finer than ending the process is safe then, so this should not
    /// return (write what must be written, then `_exit`). The argument is the
    /// limit's message. nil: no watchdog.
    public var onRunaway: (@Sendable (String) -> Void)?

    public init() {}
  }

  /// The longest time limit (and `sleep`) a run may have: a year, far below
  /// where seconds as nanoseconds stop fitting.
  public static let maxTimeLimit: Double = 366 * 24 * 3600

  private let mailbox = Mailbox()
  private let thread: VMThread
  private let statePointer: UnsafeSendablePointer

  public init(options: Options = Options()) throws {
    let mailbox = self.mailbox
    let thread = VMThread(mailbox: mailbox)
    self.thread = thread
    let box = OneShot<Result<VMCore, LuaHostError>>()
    thread.start {
      do throws(LuaHostError) {
        box.put(.success(try VMCore(options: options, mailbox: mailbox)))
      } catch {
        box.put(.failure(error))
      }
    }
    let core = try box.take().get()
    thread.core = core
    statePointer = UnsafeSendablePointer(core.L)
  }

  deinit {
    let thread = self.thread
    mailbox.post { thread.core?.close() }
    mailbox.close()
  }

  /// Runs `body` on the VM thread and returns its result.
  public func perform<T: Sendable>(_ body: @escaping @Sendable (LuaContext) throws -> T) async throws -> T {
    if thread.isCurrent, let core = thread.core { return try body(LuaContext(core)) }
    let thread = self.thread
    return try await withCheckedThrowingContinuation { continuation in
      mailbox.post {
        guard let core = thread.core else { return }
        continuation.resume(with: Result { try body(LuaContext(core)) })
      }
    }
  }

  /// Runs `body` on the VM thread, blocking the calling thread (a CLI's main
  /// thread; never a Swift-concurrency thread).
  public func performBlocking<T: Sendable>(_ body: @escaping @Sendable (LuaContext) throws -> T) throws -> T {
    if thread.isCurrent, let core = thread.core { return try body(LuaContext(core)) }
    let box = OneShot<Result<T, any Error>>()
    let thread = self.thread
    mailbox.post {
      guard let core = thread.core else { return }
      box.put(Result { try body(LuaContext(core)) })
    }
    return try box.take().get()
  }

  /// Stops the running script (Ctrl-C): the count hook raises a `cancelled`
  /// error, and pending host calls are cancelled. Safe from any thread.
  /// - Returns: how many times this run has been interrupted, this time
  ///   included, so a host can end the process on the second (code that never
  ///   returns to Lua does not hear the first).
  @discardableResult
  public func interrupt() -> Int {
    let count = lsh_interrupt(statePointer.pointer, LSH_INTERRUPT_CANCEL)
    mailbox.wake()
    return Int(count)
  }
}

/// The VM's pointer, used off the VM thread only for `lsh_interrupt` and the
/// watchdog, which touch nothing but atomics in the runtime record.
struct UnsafeSendablePointer: @unchecked Sendable {
  let pointer: OpaquePointer
  init(_ pointer: OpaquePointer) { self.pointer = pointer }
}

/// A value handed from one thread to another exactly once.
final class OneShot<T>: @unchecked Sendable {
  private let condition = NSCondition()
  private var value: T?

  func put(_ v: T) {
    condition.lock()
    value = v
    condition.signal()
    condition.unlock()
  }

  func take() -> T {
    condition.lock()
    defer { condition.unlock() }
    while true {
      if let value { return value }
      condition.wait()
    }
  }
}

/// The VM's own thread: it runs jobs from the mailbox, one at a time.
final class VMThread: @unchecked Sendable {
  private let mailbox: Mailbox
  private var thread: Thread?
  /// Set once before any job runs; read only on the VM thread.
  var core: VMCore?

  init(mailbox: Mailbox) { self.mailbox = mailbox }

  var isCurrent: Bool { Thread.current === thread }

  func start(_ first: @escaping @Sendable () -> Void) {
    let mailbox = self.mailbox
    let t = Thread {
      first()
      while let job = mailbox.nextJob() { job() }
    }
    t.name = "lua-vm"
    t.stackSize = 16 << 20  // deep Lua recursion (the official test suite) needs room for C frames
    thread = t
    t.start()
  }
}
