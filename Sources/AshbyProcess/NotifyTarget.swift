import Foundation

/// A place `ashby.notify` posts to, as configured (`[notify.NAME]` in config.toml or schedules.toml):
/// where its URL comes from, never the URL itself, which is a secret (an incoming webhook's URL lets
/// anyone post). Resolved by the host: the daemon hands a scheduled run the URLs on its input, never
/// in its environment, and hides `url_env`'s variable from every run.
public struct NotifyTarget: Sendable, Equatable {
  public enum Source: Sendable, Equatable {
    case environment(String)
    case command(String)
  }

  public var name: String
  public var source: Source

  public init(name: String, source: Source) {
    self.name = name
    self.source = source
  }

  public struct Unresolved: Error, CustomStringConvertible {
    public var description: String
  }

  /// The URL now: HTTPS only (http on loopback, for the fake's sink). No message shows it.
  public func url(environment: [String: String] = ProcessSecrets.environment) throws -> URL {
    let text: String
    switch source {
    case .environment(let variable):
      guard let value = environment[variable], !value.isEmpty else {
        throw Unresolved(description: "notify target \(name): the environment variable \(variable) (url_env) is not set")
      }
      text = value
    case .command(let command):
      do {
        text = try SecretCommand.firstLine(of: command, what: "notify target \(name): url_command")
      } catch {
        throw Unresolved(description: "\(error)")
      }
    }
    guard let url = URL(string: text.trimmingCharacters(in: .whitespacesAndNewlines)), let host = url.host,
      url.scheme == "https" || (url.scheme == "http" && ["127.0.0.1", "localhost", "::1"].contains(host))
    else {
      throw Unresolved(description: "notify target \(name): its URL is not an https:// URL (http only on loopback)")
    }
    return url
  }

  /// The keys a `[notify.NAME]` table takes; exactly one of them.
  public static let keys = ["url_env", "url_command"]

  /// A `[notify.NAME]` table's two keys, read: the target, or why it is not one.
  public static func parse(name: String, urlEnv: String?, urlCommand: String?) -> Result<NotifyTarget, Unresolved> {
    switch (urlEnv, urlCommand) {
    case (let variable?, nil) where !variable.isEmpty: .success(NotifyTarget(name: name, source: .environment(variable)))
    case (nil, let command?) where !command.isEmpty: .success(NotifyTarget(name: name, source: .command(command)))
    default: .failure(Unresolved(description: "[notify.\(name)] needs one of url_env and url_command (a string)"))
    }
  }
}
