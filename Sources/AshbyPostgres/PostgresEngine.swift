import AshbyState
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import NIOConcurrencyHelpers

/// The state in PostgreSQL, for daemons on several hosts (`--state postgres://…`).
///
/// The store's calls are synchronous (as SQLite's are), so this engine runs
/// each transaction on a connection of its own with postgres-nio's
/// EventLoopFuture API and waits for it: the answers come on NIO's own
/// threads, never on the Swift concurrency pool the caller may be blocking.
/// Connections are kept for the next transaction; there are as many as
/// callers wait at once (the hooks' intake, the workers, the scheduler: a
/// handful). Writers from every host are serialized by a transaction-level
/// advisory lock, which is what SQLite's immediate transactions give the same code.
public final class PostgresEngine: StateEngine, @unchecked Sendable {
  public let location: String
  let configuration: PostgresConnection.Configuration
  let logger: Logger
  /// Seconds a statement may take: the state's statements are small, so past this the server is gone.
  let deadline: Int
  private let lock = NIOLock()
  /// Connections no transaction is using (under `lock`).
  nonisolated(unsafe) private var idle: [PostgresConnection] = []
  private let nextID = NIOLockedValueBox(0)
  private static let group = MultiThreadedEventLoopGroup.singleton

  /// How long a transaction may sit idle (its process stopped) before the server ends it.
  static let idleInTransactionMilliseconds = 4000

  /// The advisory lock every write takes (any fixed number: ashby-lua's own).
  static let writeLock: Int64 = 0x6173_6862_7973

  public struct Failure: Error, CustomStringConvertible {
    public var description: String
  }

  /// Connects (so a wrong URL or password stops the daemon at start) and brings the schema up to date.
  /// - Parameter passwordCommand: `state_password_command` from the schedules file.
  /// - Parameter deadline: seconds one statement may take before its connection is given up.
  public init(_ place: PostgresLocation, passwordCommand: String? = nil, deadline: Int = 30) throws {
    location = place.description
    self.deadline = deadline
    var logger = Logger(label: "ashby-lua.state")
    logger.logLevel = .critical
    self.logger = logger
    let password = try place.password(command: passwordCommand)
    let tls: PostgresConnection.Configuration.TLS
    switch place.sslMode {
    case .disable: tls = .disable
    case .prefer, .require:
      var settings = TLSConfiguration.makeClientConfiguration()
      settings.certificateVerification = .none
      let context = try NIOSSLContext(configuration: settings)
      tls = place.sslMode == .prefer ? .prefer(context) : .require(context)
    case .verifyFull:
      tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
    }
    configuration = PostgresConnection.Configuration(
      host: place.host, port: place.port, username: place.user, password: password, database: place.database, tls: tls)
    try PostgresSchema.migrate(self)
  }

  deinit {
    for connection in idle { Self.close(connection) }
  }

  public func write<T>(_ body: (any StateSQL) throws -> T) throws -> T {
    try transaction(locked: true, body)
  }

  public func read<T>(_ body: (any StateSQL) throws -> T) throws -> T {
    try transaction(locked: false, body)
  }

  func transaction<T>(locked: Bool, _ body: (any StateSQL) throws -> T) throws -> T {
    var statements = Statements(connection: try checkOut(), logger: logger, deadline: deadline)
    do {
      try statements.execute("BEGIN", [])
    } catch {
      // A connection the server or the network closed while it was idle: one
      // new try on a new connection, before anything was done.
      Self.close(statements.connection)
      statements = Statements(connection: try connect(), logger: logger, deadline: deadline)
      do {
        try statements.execute("BEGIN", [])
      } catch {
        Self.close(statements.connection)
        throw error
      }
    }
    do {
      if locked { try statements.execute("SELECT pg_advisory_xact_lock(?)", [.int(Self.writeLock)]) }
      let result = try body(statements)
      try statements.execute("COMMIT", [])
      checkIn(statements.connection)
      return result
    } catch {
      // A connection that cannot even roll back is not given to the next transaction.
      if !statements.connection.isClosed, (try? statements.execute("ROLLBACK", [])) != nil {
        checkIn(statements.connection)
      } else {
        Self.close(statements.connection)
      }
      throw error
    }
  }

  private func checkOut() throws -> PostgresConnection {
    while let connection = lock.withLock({ idle.popLast() }) {
      if !connection.isClosed { return connection }
      Self.close(connection)
    }
    return try connect()
  }

  /// Back for the next transaction, or closed if the server closed it.
  private func checkIn(_ connection: PostgresConnection) {
    if connection.isClosed {
      Self.close(connection)
    } else {
      lock.withLock { idle.append(connection) }
    }
  }

  /// postgres-nio insists that a connection is closed before it goes.
  private static func close(_ connection: PostgresConnection) {
    let closing: EventLoopFuture<Void> = connection.close()
    if !connection.eventLoop.inEventLoop { try? closing.wait() }
  }

  private func connect() throws -> PostgresConnection {
    let id = nextID.withLockedValue { n -> Int in
      n += 1
      return n
    }
    let connection: PostgresConnection
    do {
      connection = try PostgresConnection.connect(on: Self.group.next(), configuration: configuration, id: id, logger: logger)
        .wait()
    } catch {
      throw Failure(description: "cannot connect: \(Self.describe(error))")
    }
    // A daemon stopped in the middle of a transaction (SIGSTOP, a frozen VM) would hold the write lock,
    // and so every other daemon's writes, until it ran again: the server ends such a transaction after
    // a few idle seconds, so the others go on and take its work over when its lease runs out.
    do {
      try Statements(connection: connection, logger: logger, deadline: deadline).execute(
        "SET idle_in_transaction_session_timeout = \(Self.idleInTransactionMilliseconds)", [])
    } catch {
      Self.close(connection)
      throw error
    }
    return connection
  }

  /// What went wrong, as the server said it (postgres-nio's own text hides it).
  static func describe(_ error: any Error) -> String {
    if let psql = error as? PSQLError {
      if let message = psql.serverInfo?[.message] { return message }
      if psql.code == .authMechanismRequiresPassword {
        return "the server wants a password: set PGPASSWORD, add a line to ~/.pgpass, or give state_password_command"
      }
      return psql.underlying.map { "\(psql.code): \($0)" } ?? "\(psql.code)"
    }
    return "\(error)"
  }

  struct Statements: StateSQL {
    let connection: PostgresConnection
    let logger: Logger
    let deadline: Int

    @discardableResult
    func execute(_ sql: String, _ arguments: [StateValue]) throws -> Int {
      try run(sql, arguments).metadata.rows ?? 0
    }

    func fetch(_ sql: String, _ arguments: [StateValue]) throws -> [any StateRow] {
      try run(sql, arguments).rows.map { PostgresStateRow(row: $0.makeRandomAccess()) }
    }

    func run(_ sql: String, _ arguments: [StateValue]) throws -> PostgresQueryResult {
      var binds = PostgresBindings(capacity: arguments.count)
      for value in arguments {
        switch value {
        case .null: binds.appendNull()
        case .int(let v): binds.append(v)
        case .text(let v): binds.append(v)
        case .date(let v): binds.append(v)
        case .blob(let v): binds.append(ByteBuffer(bytes: v))
        case .bool(let v): binds.append(v)
        }
      }
      // One the server ended (an idle transaction's timeout, a restart) answers nothing: say so at once.
      guard !connection.isClosed else { throw Failure(description: "the state database closed the connection") }
      let query = PostgresQuery(unsafeSQL: Self.numbered(sql), binds: binds)
      let future: EventLoopFuture<PostgresQueryResult> = connection.query(query, logger: logger)
      let answered = DispatchSemaphore(value: 0)
      let outcome = NIOLockedValueBox<Result<PostgresQueryResult, any Error>?>(nil)
      future.whenComplete { result in
        outcome.withLockedValue { $0 = result }
        answered.signal()
      }
      // A server that never answers (one restarted under a query, a network that drops the
      // connection silently) must not hold a daemon's worker, and so its stop, for ever: past the
      // deadline the connection is given up (closed: never handed to the next transaction).
      guard answered.wait(timeout: .now() + .seconds(deadline)) == .success,
        let result = outcome.withLockedValue({ $0 })
      else {
        let closing: EventLoopFuture<Void> = connection.close()  // not waited on: it may never answer either
        _ = closing
        throw Failure(description: "the state database did not answer within \(deadline) s")
      }
      do {
        return try result.get()
      } catch {
        throw Failure(description: "the state database: \(PostgresEngine.describe(error))")
      }
    }


    /// `?` placeholders as PostgreSQL's `$1`, `$2`, …, outside quoted text.
    static func numbered(_ sql: String) -> String {
      var out = ""
      var n = 0
      var quoted = false
      for c in sql {
        if c == "'" { quoted.toggle() }
        if c == "?" && !quoted {
          n += 1
          out += "$\(n)"
        } else {
          out.append(c)
        }
      }
      return out
    }
  }
}
