import AshbyPostgres
import ArgumentParser
import AshbyScheduler
import AshbyScripting
import AshbyState
import Foundation

/// Where the scheduler's state is: `--state` (or the older `--history`),
/// else `ASHBY_LUA_STATE`, else the file's `state = "…"`, else the SQLite
/// file under `$XDG_STATE_HOME`. A `postgres://` URL is PostgreSQL; anything
/// else is a SQLite file's path.
enum StateLocation {
  static let variable = "ASHBY_LUA_STATE"

  static func choose(
    flag: String?, file: String?, environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> String {
    flag ?? environment[variable].flatMap { $0.isEmpty ? nil : $0 } ?? file ?? StateStore.defaultPath()
  }

  /// The store, connected and migrated.
  static func store(_ spec: String, passwordCommand: String?) throws -> StateStore {
    if PostgresLocation.isURL(spec) {
      return StateStore(engine: try PostgresEngine(try PostgresLocation(spec), passwordCommand: passwordCommand))
    }
    return try StateStore(path: spec)
  }

  /// The store; exit 2 saying why when it cannot be opened.
  static func open(_ spec: String, passwordCommand: String?) throws -> StateStore {
    do {
      return try store(spec, passwordCommand: passwordCommand)
    } catch {
      Console.error("ashby-lua: cannot open the state \(printable(spec)): \(error)")
      throw ExitCode(Exit.usage)
    }
  }

  /// `spec` as it may be printed: a URL's password hidden.
  static func printable(_ spec: String) -> String {
    PostgresLocation.isURL(spec) ? ((try? PostgresLocation(spec))?.description ?? PostgresLocation.redacting(spec)) : spec
  }

  /// A state that could not be opened, said without its password.
  struct Unopened: Error, CustomStringConvertible {
    var spec: String
    var error: any Error
    var description: String { "cannot open the state \(StateLocation.printable(spec)): \(error)" }
  }
}
