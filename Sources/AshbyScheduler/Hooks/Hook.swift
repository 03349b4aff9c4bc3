import Foundation

/// One `[[hook]]` of `schedules.toml`, checked: a script run for each Ashby
/// webhook delivery of the event types it names (DESIGN.md §7).
public struct Hook: Sendable, Equatable {
  /// Where the webhook's secret token comes from. Never from the file itself:
  /// a schedule is read by more people than the secret should be.
  public enum Secret: Sendable, Equatable {
    /// An environment variable of the daemon (`secret_env`).
    case environment(String)
    /// A command's standard output, trimmed (`secret_command`, run with `/bin/sh -c`).
    case command(String)
    /// `unsigned = true`: deliveries are taken without a signature. Said
    /// explicitly, never the default: anyone who can reach the port can run the script.
    case unsigned
  }

  public var name: String
  /// The `webhookType`s to run for; empty means every type (`events = ["*"]`).
  public var events: Set<String>
  public var secret: Secret
  /// How each delivery runs: script, limits, retries, sandbox, env, keep. Its
  /// `cron` is not used; its `name` is the hook's.
  public var job: ScheduledJob

  public init(name: String, events: Set<String>, secret: Secret, job: ScheduledJob) {
    self.name = name
    self.events = events
    self.secret = secret
    self.job = job
  }

  /// Whether a delivery of `action` runs the script (a `ping` never does).
  public func wants(_ action: String) -> Bool {
    action != "ping" && (events.isEmpty || events.contains(action))
  }

  public struct SecretError: Error, CustomStringConvertible {
    public var description: String
  }

  /// The secret token, or nil for an unsigned hook. Read when the daemon
  /// starts (and on SIGHUP), so a missing secret stops it there, not at the
  /// first delivery. The error names the source, never the value.
  public func resolveSecret(environment: [String: String] = ProcessInfo.processInfo.environment) throws(SecretError)
    -> String?
  {
    switch secret {
    case .unsigned:
      return nil
    case .environment(let name):
      guard let value = environment[name], !value.isEmpty else {
        throw SecretError(description: "hook \"\(self.name)\": the environment variable \(name) (secret_env) is not set")
      }
      return value
    case .command(let command):
      let value = try Self.output(of: command, hook: self.name)
      guard !value.isEmpty else {
        throw SecretError(description: "hook \"\(self.name)\": secret_command printed nothing")
      }
      return value
    }
  }

  /// What `/bin/sh -c command` prints, trimmed; at most 10 s and 64 KB.
  static func output(of command: String, hook: String) throws(SecretError) -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardInput = FileHandle.nullDevice
    do {
      try process.run()
    } catch {
      throw SecretError(description: "hook \"\(hook)\": cannot run secret_command: \(error.localizedDescription)")
    }
    let killer = DispatchWorkItem { [process] in if process.isRunning { process.terminate() } }
    DispatchQueue.global().asyncAfter(deadline: .now() + 10, execute: killer)
    let data = pipe.fileHandleForReading.readDataToEndOfFile().prefix(65536)
    process.waitUntilExit()
    killer.cancel()
    guard process.terminationReason == .exit, process.terminationStatus == 0 else {
      throw SecretError(
        description: "hook \"\(hook)\": secret_command failed (status \(process.terminationStatus)); its output is not shown")
    }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
  }
}

/// A whole `schedules.toml`: its jobs and its hooks.
public struct Schedule: Sendable, Equatable {
  public var jobs: [ScheduledJob]
  public var hooks: [Hook]

  /// The variables that hold the hooks' secrets (`secret_env`): no run may see them.
  public var secretVariables: Set<String> {
    Set(hooks.compactMap { if case .environment(let name) = $0.secret { name } else { nil } })
  }

  public init(jobs: [ScheduledJob], hooks: [Hook]) {
    self.jobs = jobs
    self.hooks = hooks
  }
}
