import Foundation

/// Where the scheduler's state is: `--state` (or the older `--history`),
/// else `ASHBY_LUA_STATE`, else the file's `state = "…"`, else the SQLite
/// file under `$XDG_STATE_HOME`. A `postgres://` URL is PostgreSQL; anything
/// else is a SQLite file's path.
public enum StateLocation {
  public static let variable = "ASHBY_LUA_STATE"

  public static func choose(
    flag: String?, file: String?, environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> String {
    flag ?? environment[variable].flatMap { $0.isEmpty ? nil : $0 } ?? file ?? StateStore.defaultPath()
  }

  /// Whether `spec` names a PostgreSQL state rather than a SQLite file.
  public static func isPostgres(_ spec: String) -> Bool {
    spec.hasPrefix("postgres://") || spec.hasPrefix("postgresql://")
  }

  /// Opens a PostgreSQL state (AshbyPostgres has one; a program without it has none).
  public typealias PostgresOpener = @Sendable (_ url: String, _ passwordCommand: String?) throws -> any StateEngine

  /// A PostgreSQL state, in a program that cannot open one.
  public struct NeedsPostgres: Error, CustomStringConvertible {
    public var description: String { "this program cannot open a PostgreSQL state" }
  }

  /// The store, connected and migrated.
  public static func store(_ spec: String, passwordCommand: String?, postgres: PostgresOpener?) throws -> StateStore {
    guard isPostgres(spec) else { return try StateStore(path: spec) }
    guard let postgres else { throw NeedsPostgres() }
    return StateStore(engine: try postgres(spec, passwordCommand))
  }

  /// `spec` as it may be printed: a URL's password hidden.
  public static func printable(_ spec: String) -> String {
    guard isPostgres(spec), var url = URLComponents(string: spec), url.password != nil else { return spec }
    url.password = "***"
    return url.string ?? "the state URL"
  }

  /// A state that could not be opened, said without its password.
  public struct Unopened: Error, CustomStringConvertible {
    public var spec: String
    public var error: any Error
    public init(spec: String, error: any Error) {
      self.spec = spec
      self.error = error
    }
    public var description: String { "cannot open the state \(StateLocation.printable(spec)): \(error)" }
  }
}
