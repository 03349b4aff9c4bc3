import AshbyPaths
import AshbyCatalog
import AshbyKit
import AshbyProcess
import Foundation
import TOMLKit

/// Where the API key comes from: `ASHBY_API_KEY`, else a profile in
/// `$XDG_CONFIG_HOME/ashby-lua/config.toml` (`api_key` or `api_key_command`).
/// The file must not be readable by group or others.
public struct AuthConfig {
  public struct Failure: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
  }

  public enum Source: Equatable {
    case environment
    case file(profile: String)
    case command(profile: String)
    case none
  }

  public static var configDirectory: URL { URL(fileURLWithPath: configDirectoryPath, isDirectory: true) }

  /// As a plain path: every run asks where the config is, and `URL` and the
  /// passwd lookup behind Foundation's home directory cost a cold start more than the read.
  public static var configDirectoryPath: String { UserFolders.config() }

  public static var configFile: URL { URL(fileURLWithPath: configFilePath) }
  public static var configFilePath: String { configDirectoryPath + "/config.toml" }

  /// The key to use and where it came from; `.none` (and nil) when no key is configured.
  /// `ASHBY_API_KEY` was taken out of the environment at start (`ProcessSecrets`),
  /// so neither `os.getenv`, `/proc/self/environ` nor a child process sees it.
  public static func resolve(profile: String) throws -> (AshbyAPIKey?, Source) {
    try resolve(profile: profile, in: { try readFile() })
  }

  /// `resolve`, reading the file (once) only when the environment has no key.
  public static func resolve(profile: String, in file: () throws -> TOMLTable?) throws -> (AshbyAPIKey?, Source) {
    if let env = ProcessSecrets.apiKey, let key = AshbyAPIKey(env) { return (key, .environment) }
    guard let table = try file() else { return (nil, .none) }
    guard let section = table[profile]?.table else { return (nil, .none) }
    if let key = section["api_key"]?.string, let parsed = AshbyAPIKey(key) { return (parsed, .file(profile: profile)) }
    if let command = section["api_key_command"]?.string {
      return (try run(command), .command(profile: profile))
    }
    return (nil, .none)
  }

  /// A profile's `key`, read by `parse` (nil: not valid, which is refused
  /// saying it `must` be so); nil when the profile does not set it.
  public static func profileValue<T>(
    _ key: String, profile: String, in table: TOMLTable?, must: String,
    _ parse: (any TOMLValueConvertible) -> T?
  ) throws -> T? {
    guard let value = table?[profile]?.table?[key] else { return nil }
    guard let parsed = parse(value) else {
      throw Failure(description: "\(configFile.path): [\(profile)] \(key) must be \(must)")
    }
    return parsed
  }

  /// `rate_limit` of a profile: requests per minute for its key (Ashby counts per key).
  public static func rateLimit(profile: String, in table: TOMLTable?) throws -> Int? {
    try profileValue(
      "rate_limit", profile: profile, in: table,
      must: "a whole number of requests per minute from 1 to \(RunLimits.rateLimit.upperBound)"
    ) { $0.int.flatMap { RunLimits.rateLimit.contains($0) ? $0 : nil } }
  }

  /// `api_version` of a profile.
  public static func apiVersion(profile: String, in table: TOMLTable?) throws -> String? {
    try profileValue("api_version", profile: profile, in: table, must: "a date like \(Catalog.apiVersion)") {
      $0.string.flatMap { Catalog.isAPIVersion($0) ? $0 : nil }
    }
  }

  /// `on_behalf_of` of a profile.
  public static func onBehalfOf(profile: String, in table: TOMLTable?) throws -> String? {
    try profileValue("on_behalf_of", profile: profile, in: table, must: "an Ashby user id or email") {
      $0.string.flatMap { Catalog.isOnBehalfOf($0) ? $0 : nil }
    }
  }

  /// `base_url` of a profile (saved by `auth login --base-url`).
  public static func baseURL(profile: String, in table: TOMLTable?) throws -> String? {
    try profileValue("base_url", profile: profile, in: table, must: "an http(s) URL") {
      $0.string.flatMap { ScriptRunner.isBaseURL($0) ? $0 : nil }
    }
  }

  /// The URL of the notify target `[notify.NAME]` of config.toml (nil when there is none).
  public static func notifyURL(_ name: String, in table: TOMLTable?) throws -> URL? {
    guard let target = table?["notify"]?.table?[name]?.table else { return nil }
    let parsed = NotifyTarget.parse(name: name, urlEnv: target["url_env"]?.string, urlCommand: target["url_command"]?.string)
    switch parsed {
    case .success(let notify): return try notify.url()
    case .failure(let why): throw Failure(description: "\(configFile.path): \(why)")
    }
  }

  /// `audit_keep` (outside any profile: the audit log is one for every profile): how many days of
  /// audit rows are kept, a whole number or `"90d"`.
  public static func auditKeepDays(in table: TOMLTable?) throws -> Int? {
    guard let value = table?["audit_keep"] else { return nil }
    let days = value.int ?? value.string.flatMap { $0.hasSuffix("d") ? Int($0.dropLast()) : Int($0) }
    guard let days, (1...36_600).contains(days) else {
      throw Failure(description: "\(configFile.path): audit_keep must be a number of days from 1 to 36600, like 365 or \"90d\"")
    }
    return days
  }

  /// `strict_results` of a profile.
  public static func strictResults(profile: String, in table: TOMLTable?) throws -> Bool? {
    try profileValue("strict_results", profile: profile, in: table, must: "true or false") { $0.bool }
  }

  /// The parsed config file, or nil when there is none. Refuses a file others can read.
  public static func readFile() throws -> TOMLTable? {
    let path = configFilePath
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    let mode = Int(info.st_mode & 0o777)
    if mode & 0o077 != 0 {
      throw Failure(
        description: """
          \(path) can be read by other users (mode \(String(mode, radix: 8))), and it holds your Ashby API key.
          Fix it with: chmod 600 '\(path)'
          """)
    }
    let text = try String(contentsOfFile: path, encoding: .utf8)
    do {
      return try TOMLTable(string: text)
    } catch let error as TOMLParseError {
      throw Failure(description: "\(path):\(error.source.begin.line): \(error.description)")
    }
  }

  /// Runs `api_key_command` through the shell; its first line of output is the key.
  public static func run(_ command: String) throws -> AshbyAPIKey {
    let first: String
    do {
      first = try SecretCommand.firstLine(of: command, what: "api_key_command")
    } catch {
      throw Failure(description: error.description)
    }
    guard let key = AshbyAPIKey(first) else { throw Failure(description: "api_key_command printed no key: \(command)") }
    return key
  }

  /// Writes `api_key` for a profile, keeping other profiles, with mode 0600.
  /// - Parameter baseURL: kept as the profile's `base_url` when given (a key works only where it was made).
  public static func store(key: String, profile: String, baseURL: String? = nil) throws {
    let table = (try? readFile()) ?? TOMLTable()
    let section = table[profile]?.table ?? TOMLTable()
    section["api_key"] = key
    section["api_key_command"] = nil
    if let baseURL, ScriptRunner.isBaseURL(baseURL) { section["base_url"] = baseURL }
    table[profile] = section
    try write(table)
  }

  /// Removes a profile; returns whether it existed.
  public static func remove(profile: String) throws -> Bool {
    guard let table = try readFile(), table[profile] != nil else { return false }
    table.remove(at: profile)
    try write(table)
    return true
  }

  private static func write(_ table: TOMLTable) throws {
    try PrivateFile.folder(configDirectoryPath)
    try PrivateFile.write(Data(table.convert().utf8), to: configFilePath)
  }
}
