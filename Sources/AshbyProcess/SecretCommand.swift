import Foundation

/// A secret read from a command (a hook's `secret_command`, the state's
/// `state_password_command`, a profile's `api_key_command`): errors name the
/// command's role, never what it printed.
public enum SecretCommand {
  /// The most of a command's output that is read, and how long it may take.
  static let maxOutput = 65536
  static let timeLimit: TimeInterval = 10

  /// What `/bin/sh -c command` prints, trimmed; at most 10 s and 64 KB. It
  /// runs in a process group of its own, which is killed whole when it runs
  /// over either: a command that never ends, or prints without end, is
  /// stopped and refused, never waited on or buffered. Its stderr is read and
  /// dropped (it might echo the secret).
  public static func output(of command: String, what: String) throws(SecretError) -> String {
    let child: ChildProcess
    do {
      child = try ChildProcess.spawn(
        "/bin/sh", ["-c", command], directory: FileManager.default.currentDirectoryPath,
        environment: ProcessSecrets.environmentForChild(), attached: false)
    } catch {
      throw SecretError(description: "\(what): cannot run: \(error)")
    }
    close(child.report)
    defer { [child.stdout, child.stderr, child.lifeline].forEach { close($0) } }
    let deadline = Date().addingTimeInterval(Self.timeLimit)
    var output = Data()
    var open = [child.stdout, child.stderr]
    var overrun = false
    var status: Int32 = 0
    var reaped = false
    // Until both pipes close, or the command has exited and left a process of its own holding them.
    while !open.isEmpty && !reaped {
      let left = deadline.timeIntervalSinceNow
      guard left > 0, output.count <= maxOutput else {
        overrun = true
        break
      }
      var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
      let ready = poll(&fds, nfds_t(fds.count), Int32(min(left, 1) * 1000))  // at most a second a wait
      if ready < 0 && errno != EINTR { break }
      for entry in fds where entry.revents != 0 {
        var buffer = [UInt8](repeating: 0, count: 16384)
        let n = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
        if n > 0 {
          if entry.fd == child.stdout { output.append(contentsOf: buffer.prefix(n)) }
        } else if n == 0 || errno != EINTR {
          open.removeAll { $0 == entry.fd }
        }
      }
      if ready == 0 { reaped = waitpid(child.pid, &status, WNOHANG) == child.pid }
    }
    if overrun { child.signal(SIGKILL) }
    if !reaped { while waitpid(child.pid, &status, 0) < 0 && errno == EINTR {} }
    let exited = status & 0x7f == 0
    let code = (status >> 8) & 0xff
    guard !overrun, exited, code == 0 else {
      let why =
        overrun
        ? (output.count > maxOutput ? "printed more than 64 KB" : "ran over \(Int(Self.timeLimit)) s")
        : exited ? "status \(code)" : "signal \(status & 0x7f)"
      throw SecretError(description: "\(what) failed (\(why)); its output is not shown")
    }
    return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// The first line of what the command prints (a password, a key).
  public static func firstLine(of command: String, what: String) throws(SecretError) -> String {
    try output(of: command, what: what).split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
  }
}

/// A secret that could not be read; it names the secret's source, never its value.
public struct SecretError: Error, CustomStringConvertible {
  public var description: String
  public init(description: String) { self.description = description }
}
