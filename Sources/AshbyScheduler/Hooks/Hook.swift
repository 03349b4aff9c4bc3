import AshbyProcess
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

  /// The secret token, or nil for an unsigned hook. Read when the daemon
  /// starts (and on SIGHUP), so a missing secret stops it there, not at the
  /// first delivery. The error names the source, never the value.
  public func resolveSecret(environment: [String: String] = ProcessSecrets.environment) throws(SecretError)
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
      let value = try SecretCommand.output(of: command, what: "hook \"\(self.name)\": secret_command")
      guard !value.isEmpty else {
        throw SecretError(description: "hook \"\(self.name)\": secret_command printed nothing")
      }
      return value
    }
  }
}

/// A whole `schedules.toml`: its jobs and its hooks.
public struct Schedule: Sendable, Equatable {
  public var jobs: [ScheduledJob]
  public var hooks: [Hook]
  /// Where the state is (`state = "postgres://…"` or a SQLite path), unless `--state` says.
  public var state: String?
  /// How to get the PostgreSQL password (`/bin/sh -c`), instead of PGPASSWORD or ~/.pgpass.
  public var statePasswordCommand: String?
  /// How long a delivery's id is kept after its run, to know a redelivery (`delivery_retention`).
  public var deliveryRetention: TimeInterval?
  /// `[notify.NAME]`: where `ashby.notify`'s targets get their URLs.
  public var notify: [String: NotifyTarget] = [:]

  /// The variables that hold secrets: the hooks' (`secret_env`) and the notify targets' URLs
  /// (`url_env`): no run may see them.
  public var secretVariables: Set<String> {
    Set(hooks.compactMap { if case .environment(let name) = $0.secret { name } else { nil } })
      .union(notify.values.compactMap { if case .environment(let name) = $0.source { name } else { nil } })
  }

  /// The notify targets' URLs now, by name, for the runs; the first target that cannot be resolved throws.
  public func notifyURLs(environment: [String: String] = ProcessSecrets.environment) throws -> [String: String] {
    try notify.mapValues { try $0.url(environment: environment).absoluteString }
  }

  public init(jobs: [ScheduledJob], hooks: [Hook], state: String? = nil, statePasswordCommand: String? = nil) {
    self.jobs = jobs
    self.hooks = hooks
    self.state = state
    self.statePasswordCommand = statePasswordCommand
  }
}
