import Foundation
import Synchronization

/// One `ashby-lua` command as a child process, its output captured whole: a
/// script under test (`ashby.test.run`), an agent's script, a plan shown or
/// applied (`ashby-lua mcp`). Past its limit, or when the calling task is
/// cancelled, the child is killed; a runaway script ends its child only.
package struct CapturedRun: Sendable {
  package struct Outcome: Sendable {
    package var stdout: String
    package var stderr: String
    package var exit: Int32
    /// Killed at its limit.
    package var timedOut: Bool
    package var seconds: Double

    /// `ashby-lua: MESSAGE` on stderr: the message of the error that ended the run.
    package var errorMessage: String? {
      stderr.split(separator: "\n").first { $0.hasPrefix("ashby-lua: ") }.map { String($0.dropFirst(11)) }
    }
  }

  package let program: String
  package let environment: [String: String]
  /// Where the output is kept while the child runs.
  package let folder: URL
  /// The children running now, to end with their parent (`killAll`).
  private let running = Running()

  final class Running: Sendable {
    let pids = Mutex<Set<Int32>>([])
  }

  /// Ends every child running now (the parent is stopping: nothing of theirs outlives it).
  package func killAll() {
    running.pids.withLock { pids in for pid in pids { kill(pid, SIGKILL) } }
  }

  package init(program: String, environment: [String: String], folder: URL) {
    self.program = program
    self.environment = environment
    self.folder = folder
  }

  /// Runs `arguments` in `directory`; kills the child after `limit` seconds, or when the calling task is cancelled.
  package func run(_ arguments: [String], limit: Double, in directory: URL? = nil) async throws -> Outcome {
    let id = UUID().uuidString
    let out = folder.appendingPathComponent("\(id).out"), err = folder.appendingPathComponent("\(id).err")
    defer {
      try? FileManager.default.removeItem(at: out)
      try? FileManager.default.removeItem(at: err)
    }
    guard FileManager.default.createFile(atPath: out.path, contents: nil),
      FileManager.default.createFile(atPath: err.path, contents: nil)
    else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: folder.path]) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    process.environment = environment
    if let directory { process.currentDirectoryURL = directory }
    process.standardInput = FileHandle.nullDevice
    let outHandle = try FileHandle(forWritingTo: out), errHandle = try FileHandle(forWritingTo: err)
    defer {
      try? outHandle.close()
      try? errHandle.close()
    }
    process.standardOutput = outHandle
    process.standardError = errHandle
    let started = ContinuousClock.now
    let ended = AsyncStream<Int32>.makeStream()
    process.terminationHandler = { ended.continuation.yield($0.terminationStatus); ended.continuation.finish() }
    try process.run()
    let pid = process.processIdentifier
    running.pids.withLock { _ = $0.insert(pid) }
    defer { running.pids.withLock { _ = $0.remove(pid) } }
    let killed = Mutex(false)
    let killer = Task {
      try await Task.sleep(for: .seconds(limit))
      killed.withLock { $0 = true }
      kill(pid, SIGKILL)
    }
    // Waited for in a task of its own: a cancelled call still waits for the child it killed
    // (a process's status may be read only once it has ended).
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
    let elapsed = ContinuousClock.now - started
    return Outcome(
      stdout: Self.head(of: out), stderr: Self.head(of: err), exit: status, timedOut: killed.withLock { $0 },
      seconds: elapsed / .seconds(1))
  }

  /// What is read of each stream at most: a script that prints gigabytes costs its caller a megabyte.
  package static let maxBytes = 1 << 20

  /// The first `maxBytes` of a file, as text.
  static func head(of file: URL) -> String {
    guard let handle = try? FileHandle(forReadingFrom: file) else { return "" }
    defer { try? handle.close() }
    let data = (try? handle.read(upToCount: maxBytes)) ?? nil
    return String(decoding: data ?? Data(), as: UTF8.self)
  }
}

extension ProcessSecrets {
  /// `environmentForChild()` as a dictionary, without the variables `dropping` says.
  package static func childEnvironment(dropping drop: (String) -> Bool = { _ in false }) -> [String: String] {
    var environment: [String: String] = [:]
    for entry in environmentForChild() {
      guard let equals = entry.firstIndex(of: "=") else { continue }
      let name = String(entry[..<equals])
      if !drop(name) { environment[name] = String(entry[entry.index(after: equals)...]) }
    }
    return environment
  }
}
