import Foundation
import Synchronization

/// One `ashby-lua` command as a child process: a script's run, a plan shown or
/// applied, the audit log read. A runaway or crashing script ends its child
/// only; past its limit, or when the call is cancelled, the child is killed.
struct ChildRun: Sendable {
  struct Outcome: Sendable {
    var stdout: String
    var stderr: String
    var exit: Int32
    var timedOut: Bool
    var seconds: Double
  }

  let program: String
  let environment: [String: String]
  let folder: URL

  /// Runs `arguments`; kills the child after `limit` seconds, or when the calling task is cancelled.
  func run(_ arguments: [String], limit: Double, in directory: URL? = nil) async throws -> Outcome {
    let id = UUID().uuidString
    let out = folder.appendingPathComponent("\(id).out"), err = folder.appendingPathComponent("\(id).err")
    defer {
      try? FileManager.default.removeItem(at: out)
      try? FileManager.default.removeItem(at: err)
    }
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    _ = FileManager.default.createFile(atPath: err.path, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    process.environment = environment
    if let directory { process.currentDirectoryURL = directory }
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = try FileHandle(forWritingTo: out)
    process.standardError = try FileHandle(forWritingTo: err)
    let started = ContinuousClock.now
    let ended = AsyncStream<Int32>.makeStream()
    process.terminationHandler = { ended.continuation.yield($0.terminationStatus); ended.continuation.finish() }
    try process.run()
    let pid = process.processIdentifier
    let killed = Mutex(false)
    let killer = Task {
      try await Task.sleep(for: .seconds(limit))
      killed.withLock { $0 = true }
      kill(pid, SIGKILL)
    }
    // Waited for in a task of its own: a cancelled call still waits for the child it killed
    // (the process's status may be read only once it has ended).
    let waiter = Task {
      var status: Int32 = -1
      for await code in ended.stream { status = code }
      return status
    }
    let status = await withTaskCancellationHandler {
      await waiter.value
    } onCancel: {
      kill(pid, SIGKILL)
    }
    killer.cancel()
    let timedOut = killed.withLock { $0 }
    let elapsed = ContinuousClock.now - started
    return Outcome(
      stdout: String(decoding: (try? Data(contentsOf: out)) ?? Data(), as: UTF8.self),
      stderr: String(decoding: (try? Data(contentsOf: err)) ?? Data(), as: UTF8.self), exit: status,
      timedOut: timedOut, seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
  }
}
