import Foundation

/// Where ashby-lua keeps its files, by one rule for code, tests and scripts
/// (the XDG Base Directory one): `$XDG_CONFIG_HOME`, `$XDG_STATE_HOME` or
/// `$XDG_CACHE_HOME` when set to an absolute path, else the usual folder under
/// `$HOME`, and only when `HOME` is unset the account's home from the passwd
/// database. Foundation's own home-directory lookup reads passwd and
/// ignores `HOME` on Linux, which CI systems and containers set elsewhere.
public enum UserFolders {
  /// `ashby-lua` under the config folder: `config.toml`, hook secrets.
  public static func config(environment: [String: String]? = nil) -> String {
    base("XDG_CONFIG_HOME", ".config", environment) + "/ashby-lua"
  }

  /// `ashby-lua` under the state folder: the schedule's state, REPL history.
  public static func state(environment: [String: String]? = nil) -> String {
    base("XDG_STATE_HOME", ".local/state", environment) + "/ashby-lua"
  }

  /// `ashby-lua` under the cache folder: Ashby's OpenAPI description, the Lua test suite.
  public static func cache(environment: [String: String]? = nil) -> String {
    base("XDG_CACHE_HOME", ".cache", environment) + "/ashby-lua"
  }

  /// `$HOME`, else the account's home.
  public static func home(environment: [String: String]? = nil) -> String {
    if let home = value("HOME", environment), !home.isEmpty { return home }
    return NSHomeDirectory()
  }

  private static func base(_ variable: String, _ underHome: String, _ environment: [String: String]?) -> String {
    // The spec: a relative path in the variable is invalid and ignored.
    if let path = value(variable, environment), path.hasPrefix("/") { return path }
    return home(environment: environment) + "/" + underHome
  }

  /// From `environment` when given (tests, a child's), else the process's own (no dictionary built: cold start).
  private static func value(_ name: String, _ environment: [String: String]?) -> String? {
    if let environment { return environment[name] }
    return getenv(name).map { String(cString: $0) }
  }
}
