import Foundation
import Synchronization
import Testing

/// The binary on a pseudo-terminal, as a person at a keyboard would run it.
public final class PseudoTerminal: Sendable {
  public let process: Process
  private let master: Int32
  private let screen = Screen()

  public init(_ args: [String], env: [String: String] = [:], home: URL) throws {
    var master: Int32 = 0
    var slave: Int32 = 0
    guard openpty(&master, &slave, nil, nil, nil) == 0 else { throw POSIXError(.ENOTTY) }
    self.master = master
    let process = Process()
    process.executableURL = binary
    process.arguments = args
    process.environment = binaryEnvironment(home: home, ["TERM": "xterm"].merging(env) { _, given in given })
    let terminal = FileHandle(fileDescriptor: slave, closeOnDealloc: true)
    process.standardInput = terminal
    process.standardOutput = terminal
    process.standardError = terminal
    self.process = process
    try process.run()
    let fd = master
    let screen = self.screen
    let reader = Thread {
      var buffer = [UInt8](repeating: 0, count: 4096)
      while true {
        let n = Foundation.read(fd, &buffer, buffer.count)
        if n <= 0 { break }
        let text = String(decoding: buffer[0..<n], as: UTF8.self)
        screen.text.withLock { $0 += text }
      }
    }
    reader.start()
  }

  /// Everything the program has written so far.
  public var output: String { screen.text.withLock { $0 } }

  public func type(_ text: String) {
    _ = text.utf8CString.withUnsafeBufferPointer { Foundation.write(master, $0.baseAddress, $0.count - 1) }
  }

  /// Waits until the output (after `since` characters) contains `text`: the event itself, with a bound
  /// for failing only (a REPL handing over to the server program took over 30 s to show its first
  /// prompt on a 2-core machine building a release beside the suite).
  @discardableResult
  public func expect(_ text: String, since: Int = 0, timeout: Double = 120) async throws -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
      let out = output
      if out.count >= since, out.dropFirst(since).contains(text) { return true }
      try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("timed out waiting for \(text.debugDescription); screen:\n\(output)")
    return false
  }

  /// Types a line, waits for `result` in what follows, then for the next prompt.
  public func enter(_ line: String, expecting result: String) async throws {
    let mark = output.count
    type(line + "\n")
    try await expect(result, since: mark)
    try await expect("> ", since: mark + line.count)
  }

  /// Ctrl-D at a fresh prompt, then the exit status.
  public func quit() async throws -> Int32 {
    type("\u{4}")
    return try await wait()
  }

  public func interrupt() { kill(process.processIdentifier, SIGINT) }

  /// Waits for the program to exit; returns its status.
  public func wait(timeout: Double = 15) async throws -> Int32 {
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
    if process.isRunning {
      process.terminate()
      // One that ignores SIGTERM too is killed: a test fails, it never hangs.
      let grace = Date().addingTimeInterval(5)
      while process.isRunning && Date() < grace { try await Task.sleep(for: .milliseconds(20)) }
      if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
    try await exited(process)
    close(master)
    return process.terminationStatus
  }
}

/// What the terminal has shown, filled by the reader thread.
final class Screen: Sendable {
  let text = Mutex<String>("")
}
