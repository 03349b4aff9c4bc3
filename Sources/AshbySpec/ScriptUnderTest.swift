import AshbyFake
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

  func run(_ script: String, arguments: [String], clock: Double?, baseURL: URL) async throws -> Outcome {
    guard FileManager.default.fileExists(atPath: script) else {
      throw SpecError("ashby.test.run: no script at \(script) (paths are relative to \(FileManager.default.currentDirectoryPath))")
    }
    let id = UUID().uuidString
    let out = folder.appendingPathComponent("\(id).out"), err = folder.appendingPathComponent("\(id).err")
    defer {
      try? FileManager.default.removeItem(at: out)
      try? FileManager.default.removeItem(at: err)
    }
    guard FileManager.default.createFile(atPath: out.path, contents: nil),
      FileManager.default.createFile(atPath: err.path, contents: nil)
    else { throw SpecError("ashby.test.run: cannot write in \(folder.path)") }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = [
      "run", "--base-url", baseURL.absoluteString, "--state", folder.appendingPathComponent("state.sqlite").path,
      "--timeout", String(timeout), script, "--",
    ] + arguments
    var environment: [String: String] = [:]
    for entry in ProcessSecrets.environmentForChild() {
      guard let equals = entry.firstIndex(of: "=") else { continue }
      let name = String(entry[..<equals])
      if name.hasPrefix("ASHBY_") { continue }  // no profile, base URL or state of the user's
      environment[name] = String(entry[entry.index(after: equals)...])
    }
    environment["ASHBY_API_KEY"] = FakeAshby.fullKey
    // No config.toml of the user's: no profile, no notify target posting to a real chat.
    environment["XDG_CONFIG_HOME"] = folder.appendingPathComponent("config").path
    if let clock, clock.isFinite, abs(clock) < 1e12 { environment["ASHBY_LUA_CLOCK"] = String(Int64(clock)) }
    process.environment = environment
    process.standardInput = FileHandle.nullDevice
    let outHandle = try FileHandle(forWritingTo: out), errHandle = try FileHandle(forWritingTo: err)
    defer {
      try? outHandle.close()
      try? errHandle.close()
    }
    process.standardOutput = outHandle
    process.standardError = errHandle
    let exit: Int32 = try await withCheckedThrowingContinuation { continuation in
      process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
      do { try process.run() } catch {
        process.terminationHandler = nil
        continuation.resume(throwing: SpecError("ashby.test.run: cannot start \(program): \(error)"))
      }
    }
    let stdout = String(decoding: (try? Data(contentsOf: out)) ?? Data(), as: UTF8.self)
    let stderr = String(decoding: (try? Data(contentsOf: err)) ?? Data(), as: UTF8.self)
    let message = stderr.split(separator: "\n").first { $0.hasPrefix("ashby-lua: ") }.map { String($0.dropFirst(11)) }
    return Outcome(stdout: stdout, stderr: stderr, exit: exit, error: exit == 0 ? nil : message)
  }
}
