import AshbyKit
import Foundation

/// How the MCP server runs what agents ask for: the program its children are,
/// where Ashby is for them, and the caps no call may exceed.
public struct MCPSettings: Sendable {
  /// `ashby-lua`, which every child runs (`run`, `plan show`, `apply`, `audit`).
  public var program: String
  /// Where Ashby is, whose key, and the state, as the server was given them.
  public var baseURL: String?
  public var profile: String?
  public var state: String?
  /// The children's environment: no secret of ours but the key they need (the fake's, or ours).
  public var environment: [String: String]
  /// Values never to appear in what the server sends (a token, a password): scrubbed as a last line of defence.
  public var secrets: [String]
  /// The keys the children use (the environment's, the profile's, the fake's): scrubbed the same way.
  public var keys: [AshbyAPIKey] = []
  /// `apply_plan` applies without asking (`--allow-apply`, `--fake`).
  public var allowApply: Bool
  public var maxWrites: Int?
  public var maxConcurrentScripts: Int
  /// What `run_script` may ask for at most, and what it gets when it asks for nothing.
  public var timeoutCap: Double
  public var defaultTimeout: Double = 30
  public var defaultMemoryMB = 64
  /// Requests a script may make (`run --max-requests`).
  public var maxRequests = 200

  public init(
    program: String, baseURL: String?, profile: String?, state: String?, environment: [String: String],
    secrets: [String], allowApply: Bool, maxWrites: Int?, maxConcurrentScripts: Int, timeoutCap: Double
  ) {
    self.program = program
    self.baseURL = baseURL
    self.profile = profile
    self.state = state
    self.environment = environment
    self.secrets = secrets
    self.allowApply = allowApply
    self.maxWrites = maxWrites
    self.maxConcurrentScripts = maxConcurrentScripts
    self.timeoutCap = timeoutCap
  }

  /// `--state`, for every child that reads or writes the state.
  var stateFlags: [String] { state.map { ["--state", $0] } ?? [] }
  /// Where Ashby is and whose key: for `run` and `apply`.
  var sessionFlags: [String] {
    (baseURL.map { ["--base-url", $0] } ?? []) + (profile.map { ["--profile", $0] } ?? []) + stateFlags
  }
  var applyFlags: [String] { sessionFlags + ["--origin", "mcp"] }

  /// `text` with every secret replaced.
  func scrub(_ text: String) -> String {
    let masked = secrets.filter { $0.count >= 8 }.reduce(text) { $0.replacingOccurrences(of: $1, with: "[redacted]") }
    return keys.reduce(masked) { $1.redacted(in: $0, as: "[redacted]") }
  }
}
