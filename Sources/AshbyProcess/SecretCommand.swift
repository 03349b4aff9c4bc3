import Foundation

/// A secret read from a command (a hook's `secret_command`, the state's
/// `state_password_command`, a profile's `api_key_command`): errors name the
/// command's role, never what it printed.
public enum SecretCommand {
  /// What `/bin/sh -c command` prints, trimmed; at most 10 s and 64 KB.
  public static func output(of command: String, what: String) throws(SecretError) -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardInput = FileHandle.nullDevice
    do {
      try process.run()
    } catch {
      throw SecretError(description: "\(what): cannot run: \(error.localizedDescription)")
    }
    let killer = DispatchWorkItem { [process] in if process.isRunning { process.terminate() } }
    DispatchQueue.global().asyncAfter(deadline: .now() + 10, execute: killer)
    let data = pipe.fileHandleForReading.readDataToEndOfFile().prefix(65536)
    process.waitUntilExit()
    killer.cancel()
    guard process.terminationReason == .exit, process.terminationStatus == 0 else {
      throw SecretError(
        description: "\(what) failed (status \(process.terminationStatus)); its output is not shown")
    }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
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
