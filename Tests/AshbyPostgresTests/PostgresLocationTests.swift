import AshbyPostgres
import AshbyState
import Foundation
import Testing

/// Where a PostgreSQL state is, and where its password comes from: never
/// from a URL that is printed back.
@Suite struct PostgresLocationTests {
  @Test func theURLIsReadAndPrintedWithoutItsPassword() throws {
    let place = try PostgresLocation("postgres://ashby@db.internal:5433/recruiting?sslmode=require", environment: [:])
    #expect(place.user == "ashby" && place.host == "db.internal" && place.port == 5433 && place.database == "recruiting")
    #expect(place.sslMode == .require)
    #expect(place.description == "postgres://ashby@db.internal:5433/recruiting?sslmode=require")
    #expect(try place.password(command: nil, environment: ["PGPASSWORD": "other"]) == "other")
    #expect(!StateLocation.printable("postgresql://a:hunter2@h/d").contains("hunter2"))
    // A password in the URL would show in `ps` and in unit files: refused, and not echoed back.
    do {
      _ = try PostgresLocation("postgres://ashby:s3cr%40t@db.internal/recruiting", environment: [:])
      Issue.record("a URL with a password was accepted")
    } catch {
      #expect("\(error)".contains("PGPASSWORD") && !"\(error)".contains("s3cr"))
    }
    let plain = try PostgresLocation("postgresql://db/ashby", environment: ["USER": "ops"])
    #expect(plain.user == "ops" && plain.port == 5432 && plain.sslMode == .prefer)
    #expect(try PostgresLocation("postgres://u@db", environment: [:]).database == "u")
    for bad in [
      "postgres://", "postgres:///x", "mysql://u@h/d", "postgres://u@h/d?sslmode=sometimes", "postgres://u@h/d?foo=1",
      "postgres://u@h:0/d", "postgres://u@h:99999/d",
    ] {
      #expect(throws: PostgresLocation.Invalid.self, "\(bad)") { try PostgresLocation(bad, environment: [:]) }
    }
  }

  @Test func thePasswordComesFromTheCommandThenPGPASSWORDThenAPassFile() throws {
    let place = try PostgresLocation("postgres://ashby@db.internal/recruiting", environment: [:])
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pgpass-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let passfile = dir.appendingPathComponent("pgpass").path
    try """
      # comment
      other.host:5432:*:ashby:not-this
      db.internal:5432:recruiting:ashby:with\\:colon\\\\slash
      *:*:*:*:fallback
      """.write(toFile: passfile, atomically: true, encoding: .utf8)
    #expect(try place.password(command: "printf 'from-command\\nsecond line'", environment: ["PGPASSWORD": "env"]) == "from-command")
    #expect(try place.password(command: nil, environment: ["PGPASSWORD": "env", "PGPASSFILE": passfile]) == "env")
    #expect(try place.password(command: nil, environment: ["PGPASSFILE": passfile]) == "with:colon\\slash")
    let elsewhere = try PostgresLocation("postgres://root@x/y", environment: [:])
    #expect(try elsewhere.password(command: nil, environment: ["PGPASSFILE": passfile]) == "fallback")
    #expect(try place.password(command: nil, environment: ["PGPASSFILE": dir.appendingPathComponent("none").path]) == nil)
    // A failing command says which, never what it printed.
    do {
      _ = try place.password(command: "echo leaked-value; exit 3", environment: [:])
      Issue.record("a failing command gave a password")
    } catch {
      #expect("\(error)".contains("state_password_command failed (status 3)"))
      #expect(!"\(error)".contains("leaked-value"))
    }
  }
}
