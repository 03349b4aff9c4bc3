import Foundation

/// A secret read from a command (a hook's `secret_command`, the state's
/// `state_password_command`, a profile's `api_key_command`): errors name the
/// command's role, never what it printed.
public enum SecretCommand {
  /// The most of a command's output that is read, and how long it may take.
  static let maxOutput = 65536
  static let timeLimit: TimeInterval = 10

  /// What `/bin/sh -c command` prints, trimmed; at most 10 s and 64 KB: a
  /// command that runs over either is killed and refused, never waited on or
  /// buffered without end (what it started and left writing to the pipe dies
  /// of SIGPIPE once the pipe is closed). It stays in our process group, so a
  /// passphrase prompt can read the terminal and Ctrl-C reaches it. Its stderr
  /// is read and dropped (it might echo the secret).
  public static func output(of command: String, what: String) throws(SecretError) -> String {
    let child: ChildProcess
    do {
      child = try ChildProcess.spawn(
        "/bin/sh", ["-c", command], directory: FileManager.default.currentDirectoryPath,
        environment: ProcessSecrets.environmentForChild(), attached: false, ownGroup: false)
    } catch {
      throw SecretError(description: "\(what): cannot run: \(error)")
    }
    close(child.report)
    defer { [child.stdout, child.stderr, child.lifeline].forEach { close($0) } }
    let deadline = Date().addingTimeInterval(Self.timeLimit)
    var output = Data()
    var open = [child.stdout, child.stderr]
    var status: Int32 = 0
    var reaped = false
    /// Reads what is waiting on the open pipes, for at most `wait` seconds; a pipe at its end is dropped.
    func read(waiting wait: Double) {
      var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
      guard poll(&fds, nfds_t(fds.count), Int32(wait * 1000)) > 0 else { return }  // at most a second
      for entry in fds where entry.revents != 0 {
        var buffer = [UInt8](repeating: 0, count: 16384)
        let n = buffer.withUnsafeMutableBytes { Foundation.read(entry.fd, $0.baseAddress, $0.count) }
        if n > 0 {
          if entry.fd == child.stdout { output.append(contentsOf: buffer.prefix(n)) }
        } else if n == 0 || errno != EINTR {
          open.removeAll { $0 == entry.fd }
        }
      }
    }
    // Until the command has exited, or runs over its time or its output.
    while !reaped && output.count <= maxOutput && Date() < deadline {
      if open.isEmpty {
        usleep(20_000)
      } else {
        read(waiting: min(max(0, deadline.timeIntervalSinceNow), 1))
      }
      reaped = waitpid(child.pid, &status, WNOHANG) == child.pid
    }
    // What it wrote before it exited may still wait in the pipes; a process it left behind holding them is not waited for.
    while reaped && !open.isEmpty && output.count <= maxOutput {
      let before = (output.count, open.count)
      read(waiting: 0)
      if (output.count, open.count) == before { break }
    }
    let overrun = !reaped
    if overrun {
      kill(child.pid, SIGKILL)
      while waitpid(child.pid, &status, 0) < 0 && errno == EINTR {}
    }
    let exited = status & 0x7f == 0
    let code = (status >> 8) & 0xff
    guard !overrun, output.count <= maxOutput, exited, code == 0 else {
      let why =
        output.count > maxOutput
        ? "printed more than 64 KB" : overrun ? "ran over \(Int(Self.timeLimit)) s"
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
