import AshbyFake
import AshbyPostgres
import AshbyState
import Foundation
import Testing

/// Running `ashby-lua` in a test: one way to start it (`run` to its end, `launch` to leave it
/// running), one environment (`binaryEnvironment`), and the key checked in everything it leaves.

/// What a run of the binary printed and how it exited.
public struct Outcome: Sendable {
  public var stdout: String
  public var stderr: String
  public var status: Int32
  public var seconds: Double
  /// Seconds from the first time stderr held the start marker to the exit (see `run(marker:)`).
  public var secondsFromMarker: Double?
  public var all: String { stdout + stderr }
}

/// The built `ashby-lua`, next to the test bundle.
public let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
  "ashby-lua")

/// A scratch folder, also used as XDG_CONFIG_HOME / XDG_STATE_HOME so tests never touch the user's.
/// When the suites run on PostgreSQL, the folder gets a new database of its own (`stateSpec`).
public func scratch() throws -> URL {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ashby-lua-tests-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  if FreshState.onPostgres {
    try FreshState.database().write(to: dir.appendingPathComponent("state-url"), atomically: true, encoding: .utf8)
  }
  return dir
}

/// The state the binary keeps under `home`: its PostgreSQL database (given
/// as ASHBY_LUA_STATE), else the SQLite file in its XDG_STATE_HOME.
public func stateSpec(home: URL) -> String {
  (try? String(contentsOf: home.appendingPathComponent("state-url"), encoding: .utf8))
    ?? home.appendingPathComponent("state/ashby-lua/schedule.sqlite").path
}

/// The environment that points the binary at `home`'s state.
public func stateEnvironment(home: URL) -> [String: String] {
  let spec = stateSpec(home: home)
  return StateLocation.isPostgres(spec) ? [StateVariable.name: spec] : [:]
}

public enum StateVariable { public static let name = "ASHBY_LUA_STATE" }

/// Runs the binary. Every output is checked for `secret` (the API key it was
/// given, if any): no command may ever print it. `timeout` only guards against a
/// hang: a bulk example takes 3 s alone and took over 60 s beside the whole suite
/// on CI's two cores, so a test that bounds time says so itself.
public func run(
  _ args: [String], stdin: String? = nil, env: [String: String] = [:], home: URL? = nil, cwd: URL? = nil,
  interruptWhen: (@Sendable () -> Bool)? = nil, interrupts: [Double] = [],
  marker: String? = nil, timeout: Double = 300, executable: URL = binary
) async throws -> Outcome {
  let dir = try home ?? scratch()
  let process = Process()
  process.executableURL = executable
  process.arguments = args
  process.environment = binaryEnvironment(home: dir, env)
  if let cwd { process.currentDirectoryURL = cwd }
  let out = dir.appendingPathComponent("stdout-\(UUID().uuidString)")
  let err = dir.appendingPathComponent("stderr-\(UUID().uuidString)")
  _ = FileManager.default.createFile(atPath: out.path, contents: nil)
  _ = FileManager.default.createFile(atPath: err.path, contents: nil)
  // Our copies close once the child has its own: every run leaked two descriptors before, and past a
  // thousand or so Foundation's Process.run crashes (it copies the open descriptors' list).
  let outHandle = try FileHandle(forWritingTo: out), errHandle = try FileHandle(forWritingTo: err)
  process.standardOutput = outHandle
  process.standardError = errHandle
  let input = Pipe()
  process.standardInput = input
  let start = Date()
  // Never block a Swift-concurrency thread here: the fake Ashby in this
  // process answers the binary on those same threads.
  let exited = AsyncStream<Void>.makeStream()
  process.terminationHandler = { _ in exited.continuation.finish() }
  try process.run()
  try? outHandle.close()
  try? errHandle.close()
  if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
  try input.fileHandleForWriting.close()
  // A loaded machine may take seconds to start a process: with a marker (a
  // line the program writes first, once it is ready), times count from when it shows.
  var markedAt: Date?
  if let marker {
    let giveUp = Date().addingTimeInterval(timeout / 2)
    while markedAt == nil && Date() < giveUp && process.isRunning {
      let shown = [err, out].contains { (try? String(contentsOf: $0, encoding: .utf8))?.contains(marker) == true }
      if shown { markedAt = Date() }
      else { try await Task.sleep(for: .milliseconds(10)) }
    }
  }
  let origin = markedAt ?? start
  for at in interrupts {  // seconds after the start (or the marker), each a SIGINT (a Ctrl-C)
    let wait = at - Date().timeIntervalSince(origin)
    if wait > 0 { try await Task.sleep(for: .seconds(wait)) }
    kill(process.processIdentifier, SIGINT)
  }
  if let interruptWhen {
    let deadline = Date().addingTimeInterval(timeout / 2)
    while !interruptWhen() && Date() < deadline && process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
    kill(process.processIdentifier, SIGINT)
  }
  let watchdog = Task {
    try await Task.sleep(for: .seconds(timeout))
    process.terminate()
  }
  for await _ in exited.stream {}
  watchdog.cancel()
  let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
  // Ended before the marker was looked for again: within one poll of it.
  let stdout = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
  let fromMarker =
    markedAt.map { Date().timeIntervalSince($0) } ?? (marker.map { (stderr + stdout).contains($0) } == true ? 0 : nil)
  let outcome = Outcome(
    stdout: stdout, stderr: stderr,
    status: process.terminationStatus, seconds: Date().timeIntervalSince(start), secondsFromMarker: fromMarker)
  // `fake-server` prints the fake's own key on purpose: it is public test data, not a secret.
  let fakeKey = args.first == "fake-server" ? nil : FakeAshby.fullKey
  for secret in [env["ASHBY_API_KEY"], fakeKey].compactMap({ $0 }) where !secret.isEmpty {
    #expect(!outcome.all.contains(secret), "the API key was printed by `ashby-lua \(args.joined(separator: " "))`")
    for file in filesHolding(secret, under: dir) {
      Issue.record("the API key was stored in \(file) by `ashby-lua \(args.joined(separator: " "))`")
    }
  }
  return outcome
}

/// Every file under `folder` (history databases, plans, logs, reports) that
/// holds `secret`, but the config file, where `auth login` keeps the key on
/// purpose, and the captured output.
public func filesHolding(_ secret: String, under folder: URL) -> [String] {
  guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey]) else {
    return []
  }
  let needle = Data(secret.utf8)
  var found: [String] = []
  // Not the captured stdout/stderr: they are checked as output (and `fake-server` prints the fake's key).
  let skipped = ["config.toml"]
  for case let url as URL in walker
  where !skipped.contains(url.lastPathComponent) && !url.lastPathComponent.hasPrefix("stdout-")
    && !url.lastPathComponent.hasPrefix("stderr-")
  {
    guard (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true,
      let data = try? Data(contentsOf: url), data.range(of: needle) != nil
    else { continue }
    found.append(url.path)
  }
  return found
}

/// Waits for `process` to end without holding a thread of the cooperative pool
/// (`waitUntilExit` would: two threads on a two-core machine, for every suite).
public func exited(_ process: Process) async throws {
  while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
}

/// Writes a script into a scratch folder and returns its path.
public func script(_ source: String, name: String = "script.lua") throws -> String {
  let url = try scratch().appendingPathComponent(name)
  try source.write(to: url, atomically: true, encoding: .utf8)
  return url.path
}

/// The environment the binary runs with in a test: ours, without a key, an Ashby URL or NO_COLOR
/// from outside; config and state under `home` (or its PostgreSQL database); then `extra` over it all.
public func binaryEnvironment(home: URL, _ extra: [String: String]) -> [String: String] {
  var environment = ProcessInfo.processInfo.environment
  for key in ["ASHBY_API_KEY", "ASHBY_BASE_URL", "NO_COLOR", StateVariable.name] { environment[key] = nil }
  environment["XDG_CONFIG_HOME"] = home.appendingPathComponent("config").path
  environment["XDG_STATE_HOME"] = home.appendingPathComponent("state").path
  environment["HOME"] = home.path
  for (k, v) in stateEnvironment(home: home) { environment[k] = v }
  for (k, v) in extra { environment[k] = v }
  return environment
}

/// `ashby-lua` (or `executable`) with `arguments`, left running: a daemon or a trigger of a test, its
/// state under `home`, its stderr in the file `log` under `home`. In a `.teardown` scope it is
/// killed when the test ends, if it still runs.
public func launch(
  _ arguments: [String], home: URL, log name: String, environment extra: [String: String] = [:],
  executable: URL = binary
) throws -> (Process, URL) {
  let process = Process()
  process.executableURL = executable
  process.arguments = arguments
  process.environment = binaryEnvironment(home: home, extra)
  let log = home.appendingPathComponent(name)
  _ = FileManager.default.createFile(atPath: log.path, contents: nil)
  let logHandle = try FileHandle(forWritingTo: log)
  process.standardError = logHandle
  process.standardOutput = FileHandle.nullDevice
  try process.run()
  try? logHandle.close()
  TeardownBag.current?.add { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
  return (process, log)
}

/// A `[[hook]]` table of a schedules file: a hook `name` for `events` running `script`, signed with
/// the secret in `SECRET_ENV` unless `secret` says otherwise, and `more` keys (TOML lines) after.
public func hookTable(
  _ name: String, events: [String] = ["*"], script: String, secret: String? = "secret_env = \"SECRET_ENV\"",
  _ more: String...
) -> String {
  let list = events.map { "\"\($0)\"" }.joined(separator: ", ")
  return (["[[hook]]", "name = \"\(name)\"", "events = [\(list)]", "script = \"\(script)\""] + [secret].compactMap { $0 }
    + more).joined(separator: "\n")
}

/// A `[[job]]` table of a schedules file: a job `name` running `script` on `cron`, and `more` keys (TOML lines).
public func jobTable(_ name: String, script: String, cron: String, _ more: String...) -> String {
  (["[[job]]", "name = \"\(name)\"", "script = \"\(script)\"", "cron = \"\(cron)\""] + more).joined(separator: "\n")
}

/// Waits, off the cooperative pool, for `process` to end; one still running after `seconds` is a
/// failure of the test (`what` says whose), and is killed: a hang becomes a failure, never a test
/// that waits for ever. Returns whether it ended by itself.
@discardableResult
public func ended(_ process: Process, within seconds: Double, what: @autoclosure () -> String) async -> Bool {
  let deadline = Date().addingTimeInterval(seconds)
  while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
  guard process.isRunning else { return true }
  Issue.record("\(what()) did not end within \(Int(seconds)) s")
  kill(process.processIdentifier, SIGKILL)
  while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
  return false
}
