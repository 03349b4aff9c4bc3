import AshbyProcess
import Foundation
import Testing

/// A secret read from a command: its first line, errors that never show what it printed, bounded output.
@Suite struct SecretCommandTests {
  /// A command that leaves a process of its own holding its output (an agent it started) is not waited on.
  @Test func aLingeringGrandchildDoesNotHoldTheRead() throws {
    let started = Date()
    #expect(try SecretCommand.firstLine(of: "(sleep 30 &) ; echo pw", what: "k") == "pw")
    #expect(Date().timeIntervalSince(started) < 9)
  }

  /// Output that comes after a quiet second, just before the command exits, is read.
  @Test func aSlowSecretIsReadWhole() throws {
    #expect(try SecretCommand.firstLine(of: "sleep 1.2; printf late-key", what: "k") == "late-key")
  }

  /// A command that closes its outputs and goes on is stopped at its time limit, not waited on.
  @Test func aCommandThatGoesQuietAndOnIsStoppedAtItsLimit() {
    let started = Date()
    #expect {
      _ = try SecretCommand.output(of: "exec >/dev/null 2>&1; sleep 60", what: "k")
    } throws: { "\($0)".contains("ran over 10 s") }
    #expect(Date().timeIntervalSince(started) < 40)  // the 10 s limit, with room for a loaded machine
  }

  @Test func theFirstLineIsTheSecret() throws {
    #expect(try SecretCommand.firstLine(of: "printf '  s3cret\\nsecond\\n'", what: "k") == "s3cret")
  }

  @Test func aFailingCommandSaysItsRoleNotItsOutput() {
    #expect {
      _ = try SecretCommand.output(of: "echo leaked-value; exit 3", what: "api_key_command")
    } throws: { error in
      let text = "\(error)"
      return text.contains("api_key_command") && text.contains("status 3") && !text.contains("leaked-value")
    }
  }

  /// A command that prints without end is stopped once 64 KB is read, and refused: never buffered whole.
  @Test func endlessOutputIsStoppedAndRefused() {
    let started = Date()
    #expect(throws: SecretError.self) { _ = try SecretCommand.output(of: "yes", what: "k") }
    #expect(Date().timeIntervalSince(started) < 9)  // well before the 10 s limit: stopped at 64 KB, not by the clock
  }
}
