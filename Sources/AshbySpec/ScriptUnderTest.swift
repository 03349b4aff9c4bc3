import AshbyFake
import AshbyJSON
import AshbyProcess
import Foundation
import LuaHost

/// `ashby.test.run(path, args)`: a script run as `ashby-lua run` runs it, in a
/// process of its own (its `arg`, `...`, `os.exit` and limits are the real
/// ones), against the test's fake Ashby, its output captured. It writes its
/// audit log into a state of the suite's own, never the user's.
struct ScriptUnderTest: Sendable {
  /// The program that runs scripts (`ashby-lua`, else this one).
  let program: String
  /// A folder for the suite: the children's state, an empty config folder, their output while they run.
  let folder: URL
  /// Seconds a script may run (`run --timeout`).
  let timeout: Double

  struct Outcome: Sendable {
    var stdout: String
    var stderr: String
    var exit: Int32
    /// `ashby-lua: MESSAGE`, the message of the error that ended the run.
    var error: String?

    var lua: LuaValue {
      var fields: [String: LuaValue] = [
        "stdout": .string(stdout), "stderr": .string(stderr), "exit": .integer(Int64(exit)), "ok": .boolean(exit == 0),
      ]
      if let error { fields["error"] = .string(error) }
      return .object(fields)
    }
  }

  /// One `ashby.test.run`.
  struct Run: Sendable {
    var script: String
    var arguments: [String]
    /// The frozen time, if the test froze it.
    var clock: Double?
    /// A webhook body, as Ashby POSTs it, the script answers as a hook (`run --event`).
    var event: JSONValue?
    /// The current test's state (`SpecHost.testState`): tests share no feed's place.
    var state: UUID
    /// `ashby.changes`' place kept under this name (`run --feed`).
    var feed: String?
  }

  func run(_ run: Run, baseURL: URL) async throws -> Outcome {
    let (script, clock) = (run.script, run.clock)
    guard FileManager.default.fileExists(atPath: script) else {
      throw SpecError("ashby.test.run: no script at \(script) (paths are relative to \(FileManager.default.currentDirectoryPath))")
    }
    var environment = ProcessSecrets.childEnvironment { $0.hasPrefix("ASHBY_") }  // no profile, base URL or state of the user's
    environment["ASHBY_API_KEY"] = FakeAshby.fullKey
    // No config.toml of the user's: no profile, no notify target posting to a real chat.
    environment["XDG_CONFIG_HOME"] = folder.appendingPathComponent("config").path
    if let clock, clock.isFinite, abs(clock) < 1e12 { environment["ASHBY_LUA_FROZEN_TIME"] = String(Int64(clock)) }
    let child = CapturedRun(program: program, environment: environment, folder: folder, ownGroup: false)
    var options = [
      "run", "--base-url", baseURL.absoluteString, "--state", folder.appendingPathComponent("state-\(run.state).sqlite").path,
      "--timeout", String(timeout),
    ]
    if let feed = run.feed { options += ["--feed", feed] }
    if let event = run.event {
      let file = folder.appendingPathComponent("event-\(UUID().uuidString).json")
      do { try event.encoded().write(to: file) } catch { throw SpecError("ashby.test.run: cannot write the event: \(error)") }
      options += ["--event", file.path]
    }
    let arguments = options + [script, "--"] + run.arguments
    let outcome: CapturedRun.Outcome
    do { outcome = try await child.run(arguments, limit: timeout + 30) } catch {
      throw SpecError("ashby.test.run: cannot start \(program): \(error)")
    }
    return Outcome(
      stdout: outcome.stdout, stderr: outcome.stderr, exit: outcome.exit,
      error: outcome.exit == 0 ? nil : outcome.errorMessage ?? (outcome.timedOut ? "killed after \(Int(timeout)) s" : nil))  // timeout in (0, 86 400], `test --timeout` checked: in range
  }
}
