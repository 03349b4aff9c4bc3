import AshbyFake
import AshbyScheduler
import AshbySignature
import AshbyState
import AshbyWebhook
import Foundation
import Testing
import AshbyTestSupport

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// A daemon serving hooks (`schedule run --listen 127.0.0.1:0`), its fake
/// Ashby, and a way to deliver to it as Ashby does.
final class HookDaemon: @unchecked Sendable {
  let setup: ScheduleTests.Setup
  let fake: FakeFixture
  let secret = "hook-secret-\(UUID().uuidString)"
  let extraArgs: [String]
  let extraEnvironment: [String: String]
  private(set) var process: Process
  private(set) var port = 0
  private(set) var logs: [URL] = []

  /// - Parameters:
  ///   - schedule: the file's text; `SECRET_ENV` is set to `secret` for the daemon.
  ///   - scripts: more scripts for the work folder, by name.
  ///   - extraEnvironment: more variables for the daemon.
  init(
    schedule: String, scripts: [String: String] = [:], args: [String] = [], extraEnvironment: [String: String] = [:]
  ) async throws {
    self.extraEnvironment = extraEnvironment
    fake = try await FakeFixture.start()
    setup = try ScheduleTests.Setup(schedule: schedule)
    for (name, text) in scripts {
      try text.write(to: setup.work.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }
    extraArgs = args
    process = Process()
    process = try launch()
  }

  /// A test that throws before `stop()` must not leave its daemon running.
  deinit {
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
  }

  /// The daemon's process id now.
  var pid: Int32 { process.processIdentifier }


  func launch() throws -> Process {
    let (process, log) = try AshbyTestSupport.launch(
      ["schedule", "run", "--file", setup.file, "--stop-grace", "1", "--listen", "127.0.0.1:0"] + extraArgs,
      home: setup.home, log: "daemon-\(logs.count).log",
      environment: fake.env.merging(["SECRET_ENV": secret, "ASHBY_WEBHOOK_SECRET": secret]) { a, _ in a }
        .merging(extraEnvironment) { _, b in b })
    logs.append(log)
    return process
  }

  /// Waits for the listener, and remembers its port.
  func ready() async throws -> HookDaemon {
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline {
      let latest = logs.last.flatMap { try? String(contentsOf: $0, encoding: .utf8) } ?? ""
      if let range = latest.range(of: "hooks: listening on http://127.0.0.1:") {
        let digits = latest[range.upperBound...].prefix { $0.isNumber }
        if let p = Int(digits) {
          port = p
          return self
        }
      }
      if !process.isRunning { break }
      try await Task.sleep(for: .milliseconds(50))
    }
    throw HookTestError("the daemon did not start listening:\n\(log)")
  }

  /// Stops (SIGKILL when `kill`) and starts the daemon again on the same state.
  func restart(kill: Bool = false) async throws {
    if kill {
      Foundation.kill(process.processIdentifier, SIGKILL)
    } else {
      process.interrupt()
    }
    await ended(within: 60)
    process = try launch()
    port = 0
    _ = try await ready()
  }

  /// Writes `schedule` over the file and reloads it (SIGHUP); returns once the daemon has.
  func reload(_ schedule: String) async throws {
    let before = log.components(separatedBy: "schedule: reloaded").count
    try schedule.write(toFile: setup.file, atomically: true, encoding: .utf8)
    Foundation.kill(process.processIdentifier, SIGHUP)
    guard await eventually(30, { self.log.components(separatedBy: "schedule: reloaded").count > before }) else {
      throw HookTestError("the daemon did not reload:\n\(log)")
    }
  }

  /// Sends `signal` and waits (off the cooperative pool) for the daemon to end: how it ended.
  func end(with signal: Int32) async throws -> (reason: Process.TerminationReason, status: Int32) {
    Foundation.kill(process.processIdentifier, signal)
    try await exited(process)
    return (process.terminationReason, process.terminationStatus)
  }

  /// Starts the daemon again on the same state (after `end(with:)`).
  func start() async throws {
    process = try launch()
    port = 0
    _ = try await ready()
  }

  func stop() async {
    if process.isRunning {
      process.interrupt()
      await ended(within: 60)
    }
    await fake.fake.stop()
  }

  /// Waits for the daemon to end, off the cooperative pool; one that has not ended in `seconds` is a
  /// failure of the test (and is killed), never a test that waits for ever.
  func ended(within seconds: Double) async {
    await AshbyTestSupport.ended(process, within: seconds, what: "the daemon (its log:\n\(log.suffix(3000)))")
  }

  var log: String {
    logs.map { (try? String(contentsOf: $0, encoding: .utf8)) ?? "" }.joined(separator: "\n--- restart ---\n")
  }

  var history: StateStore {
    get throws { try FreshState.open(setup.historyPath) }
  }

  func runs(_ hook: String) -> [RunRecord] { ((try? history.runs(hook: hook, limit: 10000)) ?? []) }

  /// A body as Ashby sends it.
  static func body(action: String = "applicationSubmit", id: String = UUID().uuidString, data: String = "{}") -> Data {
    Data(#"{"webhookActionId":"\#(id)","action":"\#(action)","data":\#(data)}"#.utf8)
  }

  struct Answer {
    var status: Int
    var body: String
    var headers: [String: String]
  }

  /// POSTs `body` to `/hooks/<hook>`, signed with the secret unless `signature` is given (nil: unsigned).
  func deliver(
    _ hook: String, _ body: Data, signature: String?? = .none, header: String = WebhookSignature.header,
    method: String = "POST"
  ) async throws -> Answer {
    // "" is /healthz; a name starting with "/" is that path.
    let path = hook.isEmpty ? "healthz" : hook.hasPrefix("/") ? String(hook.dropFirst()) : "hooks/\(hook)"
    var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/\(path)")!)
    request.httpMethod = method
    request.timeoutInterval = 30
    if method == "POST" { request.httpBody = body }
    switch signature {
    case .none:
      for field in SignedDelivery(body: body, secret: secret).headers {
        request.setValue(field.value, forHTTPHeaderField: field.name == WebhookSignature.header ? header : field.name)
      }
    case .some(let given):
      request.setValue("application/json", forHTTPHeaderField: "Content-Type")
      if let given { request.setValue(given, forHTTPHeaderField: header) }
    }
    let (data, response) = try await URLSession.shared.data(for: request)
    let http = response as? HTTPURLResponse
    var headers: [String: String] = [:]
    for (k, v) in http?.allHeaderFields ?? [:] { headers["\(k)".lowercased()] = "\(v)" }
    return Answer(status: http?.statusCode ?? 0, body: String(decoding: data, as: UTF8.self), headers: headers)
  }
}

struct HookTestError: Error, CustomStringConvertible {
  let description: String
  init(_ d: String) { description = d }
}

/// Until `condition` holds, at most `seconds`.
/// The daemon's queue drained: no delivery waits or runs, so none accepted so far can still run.
func settled(_ d: HookDaemon, within seconds: Double = 60) async -> Bool {
  await eventually(seconds) { (try? d.history.pendingDeliveries().isEmpty) == true }
}

func eventually(_ seconds: Double = 30, _ condition: () throws -> Bool) async -> Bool {
  let deadline = Date().addingTimeInterval(seconds)
  while Date() < deadline {
    if (try? condition()) == true { return true }
    try? await Task.sleep(for: .milliseconds(50))
  }
  return (try? condition()) == true
}

/// `eventually`, for a condition that awaits (an HTTP answer).
func eventuallyAsync(_ seconds: Double = 30, _ condition: () async throws -> Bool) async -> Bool {
  let deadline = Date().addingTimeInterval(seconds)
  while Date() < deadline {
    if (try? await condition()) == true { return true }
    try? await Task.sleep(for: .milliseconds(100))
  }
  return (try? await condition()) == true
}
