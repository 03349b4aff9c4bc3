import AshbyFake
import AshbyScheduler
import AshbySignature
import AshbyWebhook
import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// Webhook deliveries to `schedule run --listen`: how fast a signed delivery
/// is acknowledged (verified, deduplicated, on disk) while the handler
/// scripts of earlier ones run, against a bare Hummingbird server that
/// answers 200 and does nothing; then whether every delivery ran exactly once.
enum HookBench {
  static func run(quick: Bool) async throws -> [Row] {
    let total = quick ? 300 : 1000
    let senders = 50
    let fake = try await FakeAshby.start()
    defer { Task { await fake.stop() } }
    let (folder, secret, bodies) = try prepare(total, fake: fake)
    let http = HTTPClient(eventLoopGroupProvider: .singleton)
    defer { Task { try? await http.shutdown() } }

    // The baseline: the same senders against a server that only answers.
    let bare = try await BareServer.start()
    let baseline = try await send(bodies, to: "http://127.0.0.1:\(bare.port)/hooks/bench", secret: secret, senders: senders, http)
    await bare.stop()

    let log = folder.appendingPathComponent("daemon.log")
    let daemon = try launch(folder, listen: "127.0.0.1:0", queue: total, secret: secret, fake: fake, log: log)
    defer {
      if daemon.isRunning {
        daemon.interrupt()
        daemon.waitUntilExit()
      }
    }
    let port = try await listeningPort(log, daemon)
    let started = ContinuousClock.now
    let ours = try await send(bodies, to: "http://127.0.0.1:\(port)/hooks/bench", secret: secret, senders: senders, http)
    let sending = (ContinuousClock.now - started) / .seconds(1)
    guard ours.failures == 0 else { throw BenchError("\(ours.failures) deliveries were not acknowledged with 2xx") }
    // Every delivery runs once: one note per webhookActionId at the fake.
    let deadline = Date().addingTimeInterval(900)
    while fake.noteCount < total && Date() < deadline && daemon.isRunning { try await Task.sleep(for: .milliseconds(200)) }
    try await Task.sleep(for: .seconds(1))
    let ranAll = (ContinuousClock.now - started) / .seconds(1)
    let notes = fake.noteContents
    let distinct = Set(notes).count
    let lost = total - distinct
    let doubled = notes.count - distinct
    let (p50, p99) = (percentile(ours.latencies, 0.5), percentile(ours.latencies, 0.99))
    let (b50, b99) = (percentile(baseline.latencies, 0.5), percentile(baseline.latencies, 0.99))
    let label = "\(total) signed deliveries, \(senders) senders, handlers running"
    return [
      Row(
        name: "hook ack, median (\(label)) vs a bare Hummingbird 200", ours: String(format: "%.1f ms", p50 * 1000),
        baseline: String(format: "%.1f ms", b50 * 1000), ratio: p50 / b50, target: "(context)", met: nil),
      Row(
        name: "hook ack, p99 (\(label)); bare Hummingbird p99 \(String(format: "%.1f ms", b99 * 1000))",
        ours: String(format: "%.1f ms", p99 * 1000), baseline: "50 ms", ratio: p99 / 0.05, target: "< 50 ms",
        met: p99 < 0.05),
      Row(
        name: "hook deliveries acknowledged per second (\(label))",
        ours: String(format: "%.0f /s", Double(total) / sending),
        baseline: String(format: "%.0f /s bare", Double(total) / baseline.seconds),
        ratio: (Double(total) / sending) / (Double(total) / baseline.seconds), target: "(context)", met: nil),
      Row(
        name: "hook runs lost or doubled (\(total) deliveries; all ran in \(String(format: "%.0f", ranAll)) s)",
        ours: "\(lost) lost, \(doubled) doubled", baseline: "0", ratio: Double(lost + doubled), target: "0",
        met: lost == 0 && doubled == 0),
    ]
  }

  /// A folder with a hook whose handler writes one note per delivery, its
  /// secret, and `total` signed-to-be bodies for it.
  static func prepare(_ total: Int, fake: FakeAshby) throws -> (folder: URL, secret: String, bodies: [Data]) {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ashby-bench-hooks-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try """
    [[hook]]
    name = "bench"
    events = ["applicationSubmit"]
    script = "handler.lua"
    secret_env = "BENCH_HOOK_SECRET"
    """.write(to: folder.appendingPathComponent("schedules.toml"), atomically: true, encoding: .utf8)
    try """
    local app = ashby.event.data.application
    ashby.call("candidate.createNote", { candidate_id = app.candidate.id, note = "bench " .. ashby.event.webhook_action_id })
    """.write(to: folder.appendingPathComponent("handler.lua"), atomically: true, encoding: .utf8)
    let candidate = fake.seedIDs("candidate")[0]
    let bodies = (0..<total).map { i in
      WebhookDelivery.body(
        webhookActionId: "bench-\(i)-\(UUID().uuidString)", action: "applicationSubmit",
        data: .object(["application": .object(["id": .string("app-\(i)"), "candidate": .object(["id": .string(candidate)])])]))
    }
    return (folder, WebhookSignature.newSecret(), bodies)
  }

  /// `schedule run --listen` on the bench's folder, its state there, its log in `log`.
  static func launch(_ folder: URL, listen: String, queue: Int, secret: String, fake: FakeAshby, log: URL) throws
    -> Process
  {
    if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
    let daemon = Process()
    daemon.executableURL = URL(fileURLWithPath: ProcessBench.ashbyLua)
    daemon.arguments = [
      "schedule", "run", "--file", folder.appendingPathComponent("schedules.toml").path, "--history",
      folder.appendingPathComponent("schedule.sqlite").path, "--listen", listen, "--hook-queue", "\(queue)",
    ] + (ProcessInfo.processInfo.environment["ASHBY_BENCH_HOOK_ARGS"]?.split(separator: " ").map(String.init) ?? [])
    var environment = ProcessInfo.processInfo.environment
    environment["ASHBY_BASE_URL"] = fake.baseURL.absoluteString
    environment["ASHBY_API_KEY"] = FakeAshby.fullKey
    environment["BENCH_HOOK_SECRET"] = secret
    daemon.environment = environment
    let handle = try FileHandle(forWritingTo: log)
    handle.seekToEndOfFile()
    daemon.standardError = handle
    daemon.standardOutput = FileHandle.nullDevice
    try daemon.run()
    return daemon
  }

  struct Sent {
    var latencies: [Double]
    var failures: Int
    var seconds: Double
  }

  /// POSTs every body, `senders` at a time, each signed; the time of each from send to answer.
  static func send(_ bodies: [Data], to url: String, secret: String, senders: Int, _ http: HTTPClient) async throws -> Sent {
    let next = Counter()
    let started = ContinuousClock.now
    let results = try await withThrowingTaskGroup(of: ([Double], Int).self) { group in
      for _ in 0..<senders {
        group.addTask {
          var latencies: [Double] = []
          var failures = 0
          while true {
            let i = next.value.add(1, ordering: .relaxed).oldValue
            guard i < bodies.count else { break }
            let start = ContinuousClock.now
            let response = try await http.execute(delivery(bodies[i], to: url, secret: secret), timeout: .seconds(30))
            _ = try await response.body.collect(upTo: 1 << 16)
            latencies.append((ContinuousClock.now - start) / .seconds(1))
            if !(200..<300).contains(response.status.code) { failures += 1 }
          }
          return (latencies, failures)
        }
      }
      var all: ([Double], Int) = ([], 0)
      for try await (l, f) in group { all = (all.0 + l, all.1 + f) }
      return all
    }
    return Sent(latencies: results.0, failures: results.1, seconds: (ContinuousClock.now - started) / .seconds(1))
  }

  /// A delivery as Ashby POSTs it: JSON, signed.
  static func delivery(_ body: Data, to url: String, secret: String) -> HTTPClientRequest {
    let signed = SignedDelivery(body: body, secret: secret)
    var request = HTTPClientRequest(url: url)
    request.method = .POST
    for field in signed.headers { request.headers.add(name: field.name, value: field.value) }
    request.body = .bytes(ByteBuffer(bytes: signed.body))
    return request
  }

  static func percentile(_ xs: [Double], _ p: Double) -> Double {
    let sorted = xs.sorted()
    guard !sorted.isEmpty else { return 0 }
    return sorted[max(0, min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1))]  // p in 0...1
  }

  static func listeningPort(_ log: URL, _ daemon: Process) async throws -> Int {
    for _ in 0..<600 {
      let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
      if let range = text.range(of: "hooks: listening on http://127.0.0.1:"),
        let port = Int(text[range.upperBound...].prefix { $0.isNumber })
      {
        return port
      }
      guard daemon.isRunning else { break }
      try await Task.sleep(for: .milliseconds(50))
    }
    throw BenchError("the daemon did not listen: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
  }
}

/// The baseline: Hummingbird answering 200 to every POST, nothing else.
final class BareServer: Sendable {
  let port: Int
  private let task: Task<Void, any Error>

  private init(port: Int, task: Task<Void, any Error>) {
    self.port = port
    self.task = task
  }

  static func start() async throws -> BareServer {
    let router = Router()
    router.post("hooks/:name") { request, _ -> Response in
      _ = try await request.body.collect(upTo: 1 << 20)
      return Response(status: .ok)
    }
    let started = AsyncStream<Int>.makeStream()
    var logger = Logger(label: "bench-bare")
    logger.logLevel = .critical
    let app = Application(
      router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
      onServerRunning: { channel in
        started.continuation.yield(channel.localAddress?.port ?? 0)
        started.continuation.finish()
      }, logger: logger)
    let task = Task { try await app.run() }
    var iterator = started.stream.makeAsyncIterator()
    guard let port = await iterator.next(), port > 0 else { throw BenchError("the bare server did not start") }
    return BareServer(port: port, task: task)
  }

  func stop() async {
    task.cancel()
    _ = try? await task.value
  }
}

/// The next delivery to send, shared by the senders.
final class Counter: Sendable {
  let value = Atomic(0)
}
