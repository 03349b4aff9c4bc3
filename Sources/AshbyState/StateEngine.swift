import Foundation

/// A value bound into a statement of the state database.
public enum StateValue: Sendable, Equatable {
  case null
  case int(Int64)
  case text(String)
  case date(Date)
  case blob(Data)
  case bool(Bool)
}

/// One row a statement returned; a missing column or NULL reads as nil.
public protocol StateRow {
  func int(_ column: String) -> Int64?
  func string(_ column: String) -> String?
  func date(_ column: String) -> Date?
  func data(_ column: String) -> Data?
  func bool(_ column: String) -> Bool?
}

/// The statements of one transaction (or one read), whatever engine runs them.
///
/// The SQL the store writes is the part SQLite and PostgreSQL share: `?`
/// placeholders (the PostgreSQL engine numbers them), `ON CONFLICT`,
/// `RETURNING`, no engine-specific functions.
public protocol StateSQL {
  /// Runs a statement; how many rows it changed.
  @discardableResult
  func execute(_ sql: String, _ arguments: [StateValue]) throws -> Int
  func fetch(_ sql: String, _ arguments: [StateValue]) throws -> [any StateRow]
}

/// Where the scheduler's state lives: SQLite (a file, the default) or
/// PostgreSQL (shared by daemons on several hosts). `StateStore` holds all
/// the logic; an engine only runs SQL in transactions.
///
/// A `write` is serialized against every other `write` on the same database,
/// from any process or host (SQLite's immediate transaction, PostgreSQL's
/// transaction-level advisory lock): the store's read-then-write steps
/// (claiming a fire, taking a lease, taking a delivery) need no more than that.
public protocol StateEngine: Sendable {
  /// Where the state is, as it may be printed (a path, or a URL without its password).
  var location: String { get }
  func write<T>(_ body: (any StateSQL) throws -> T) throws -> T
  func read<T>(_ body: (any StateSQL) throws -> T) throws -> T
  /// Gives space freed by deletions back where the engine can (after pruning).
  func reclaimSpace() throws
}

extension StateEngine {
  /// PostgreSQL's autovacuum reuses freed space by itself.
  public func reclaimSpace() throws {}
}

extension StateSQL {
  func one(_ sql: String, _ arguments: [StateValue]) throws -> (any StateRow)? {
    try fetch(sql, arguments).first
  }
}

/// The value of something the store binds.
protocol StateBindable {
  var stateValue: StateValue { get }
}

extension Int64: StateBindable { var stateValue: StateValue { .int(self) } }
extension Int: StateBindable { var stateValue: StateValue { .int(Int64(self)) } }
extension String: StateBindable { var stateValue: StateValue { .text(self) } }
extension Date: StateBindable { var stateValue: StateValue { .date(self) } }
extension Data: StateBindable { var stateValue: StateValue { .blob(self) } }
extension Bool: StateBindable { var stateValue: StateValue { .bool(self) } }
extension Optional: StateBindable where Wrapped: StateBindable {
  var stateValue: StateValue { self?.stateValue ?? .null }
}

func values(_ items: any StateBindable...) -> [StateValue] { items.map(\.stateValue) }
