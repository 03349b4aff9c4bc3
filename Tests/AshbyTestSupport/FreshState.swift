import AshbyPostgres
import AshbyState
import Foundation

/// A state for one test, on the engine the run asks for.
///
/// `ASHBY_TEST_POSTGRES` is the admin URL of a PostgreSQL server the tests
/// may use (`scripts/pg-cluster` starts one; the password in `PGPASSWORD`).
/// With `ASHBY_TEST_STATE=postgres` as well, the scheduler's and the hooks'
/// suites keep their state there, a new database for each test; otherwise in
/// a new SQLite file. `scripts/test` runs them both ways.
public enum FreshState {
  public static let postgres: String? = ProcessInfo.processInfo.environment["ASHBY_TEST_POSTGRES"].flatMap {
    $0.isEmpty ? nil : $0
  }

  /// Whether the suites run on PostgreSQL this time.
  public static var onPostgres: Bool {
    postgres != nil && ProcessInfo.processInfo.environment["ASHBY_TEST_STATE"] == "postgres"
  }

  /// A state nobody else uses: `sqlite` (a path) unless the run is on PostgreSQL.
  public static func make(sqlite path: String) throws -> String {
    onPostgres ? try database() : path
  }

  /// A new, empty database on the test server (its URL); throws when there is no server.
  public static func database() throws -> String {
    guard let admin = postgres else { throw Missing() }
    let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
    let psql = Process()
    psql.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
    psql.arguments = ["-X", "-q", "-v", "ON_ERROR_STOP=1", admin, "-c", "CREATE DATABASE \(name)"]
    psql.standardOutput = FileHandle.nullDevice
    try psql.run()
    psql.waitUntilExit()
    guard psql.terminationStatus == 0 else { throw Missing(why: "psql could not create a database") }
    guard var url = URLComponents(string: admin) else { throw Missing(why: "ASHBY_TEST_POSTGRES is not a URL") }
    url.path = "/\(name)"
    return url.string ?? admin
  }

  /// The store at `spec` (a path or a URL), as the binary would open it.
  public static func open(_ spec: String) throws -> StateStore {
    StateLocation.isPostgres(spec)
      ? StateStore(engine: try PostgresEngine(try PostgresLocation(spec))) : try StateStore(path: spec)
  }

  public struct Missing: Error, CustomStringConvertible {
    public var why = "no PostgreSQL server for the tests: set ASHBY_TEST_POSTGRES (scripts/pg-cluster start DIR)"
    public var description: String { why }
  }
}
