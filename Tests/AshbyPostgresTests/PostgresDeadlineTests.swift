import AshbyPostgres
import AshbyState
import AshbyTestSupport
import Foundation
import Testing

/// A server that stops answering mid-query never holds a caller for ever: the statement fails at its
/// deadline, its connection is given up, and the next transaction works once the server is back.
@Suite(.enabled(if: FreshState.postgres != nil && getuid() == 0, "needs ASHBY_TEST_POSTGRES and root (to stop a backend)"))
struct PostgresDeadlineTests {
  @Test func aStatementTheServerNeverAnswersFailsAtItsDeadline() throws {
    let url = try FreshState.database()
    let engine = try PostgresEngine(try PostgresLocation(url, environment: ProcessInfo.processInfo.environment), deadline: 2)
    let started = ContinuousClock.now
    var stopped: pid_t = 0
    do {
      _ = try engine.read { sql in
        // The backend stops answering in the middle of a transaction.
        stopped = pid_t(try sql.fetch("SELECT pg_backend_pid() AS pid", []).first?.int("pid") ?? 0)
        #expect(stopped > 0 && kill(stopped, SIGSTOP) == 0)
        return try sql.fetch("SELECT 1 AS one", [])
      }
      Issue.record("a query to a stopped backend answered")
    } catch {
      #expect("\(error)".contains("did not answer within 2 s"), "\(error)")
    }
    #expect(ContinuousClock.now - started < .seconds(20), "the deadline is 2 s")
    if stopped > 0 { kill(stopped, SIGCONT) }
    let one = try engine.read { sql in try sql.fetch("SELECT 1 AS one", []).first?.int("one") }
    #expect(one == 1, "a new connection after the one given up")
  }

  /// A daemon stopped inside a transaction holds the write lock no longer than the idle timeout: the
  /// other daemons' writes go on, and the stopped one's transaction is ended by the server.
  @Test func aTransactionLeftIdleIsEndedAndFreesTheWriteLock() throws {
    let url = try FreshState.database()
    let place = try PostgresLocation(url, environment: ProcessInfo.processInfo.environment)
    let stalled = try PostgresEngine(place), other = try PostgresEngine(place)
    let otherWrote = DispatchSemaphore(value: 0)
    let thread = Thread {
      Thread.sleep(forTimeInterval: 0.5)  // once the stalled one holds the lock
      _ = try? other.write { sql in try sql.execute("SELECT 1", []) }
      otherWrote.signal()
    }
    var failed = false
    do {
      try stalled.write { sql in
        thread.start()
        Thread.sleep(forTimeInterval: 6)  // a process stopped past the idle timeout (4 s)
        try sql.execute("SELECT 1", [])
      }
    } catch {
      failed = true
    }
    #expect(failed, "the server did not end a transaction idle for 6 s")
    #expect(otherWrote.wait(timeout: .now() + 30) == .success, "another engine's write waited for the stalled one")
  }
}
