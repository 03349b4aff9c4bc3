import AshbyFake
import AshbyWebhook
import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization

/// A deploy in the middle of traffic: signed deliveries arrive while the
/// daemon is stopped (SIGTERM) and started again on the same port. Each
/// delivery is sent again until acknowledged, as Ashby does; the row is the
/// p99 of the acknowledgements, and whether any delivery was lost or ran twice.
enum HookRestartBench {
  static func run(quick: Bool) async throws -> Row {
    let total = quick ? 200 : 600
    let senders = 20
    let fake = try await FakeAshby.start()
    defer { Task { await fake.stop() } }
    let (folder, secret, bodies) = try HookBench.prepare(total, fake: fake)
    // A refused connection fails at once and is sent again by `resend`, as Ashby does: the
    // client's own retries would count the daemon's time away in the next acknowledgement.
    var configuration = HTTPClient.Configuration()
    configuration.connectionPool.retryConnectionEstablishment = false
    let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    defer { Task { try? await http.shutdown() } }
    let log = folder.appendingPathComponent("daemon.log")
    var daemon = try HookBench.launch(folder, listen: "127.0.0.1:0", queue: total, secret: secret, fake: fake, log: log)
    let port = try await HookBench.listeningPort(log, daemon)
    let url = "http://127.0.0.1:\(port)/hooks/bench"
    let acked = Counter()
    let sending = Task { try await resend(bodies, to: url, secret: secret, senders: senders, acked: acked, http) }
    // Halfway: SIGTERM, wait for the exit, start again on the same port.
    while acked.value.load(ordering: .relaxed) < total / 2 { try await Task.sleep(for: .milliseconds(10)) }
    let stopped = ContinuousClock.now
    daemon.terminate()
    while daemon.isRunning { try await Task.sleep(for: .milliseconds(10)) }
    let exit = daemon.terminationStatus
    daemon = try HookBench.launch(folder, listen: "127.0.0.1:\(port)", queue: total, secret: secret, fake: fake, log: log)
    defer {
      if daemon.isRunning {
        daemon.interrupt()
        daemon.waitUntilExit()
      }
    }
    while listening(log) < 2 && daemon.isRunning { try await Task.sleep(for: .milliseconds(10)) }
    let away = (ContinuousClock.now - stopped) / .seconds(1)
    let acks = try await sending.value
    let latencies = acks.map(\.latency)
    // Where the slowest acknowledgements fell, from the SIGTERM (negative: before it).
    let slowest = acks.sorted { $0.latency > $1.latency }.prefix(3).map { ack in
      String(format: "%.0f ms at %+.2f s", ack.latency * 1000, (ack.sent - stopped) / .seconds(1))
    }
    let deadline = Date().addingTimeInterval(600)
    while Set(fake.noteContents).count < total && Date() < deadline && daemon.isRunning {
      try await Task.sleep(for: .milliseconds(200))
    }
    try await Task.sleep(for: .seconds(1))
    let notes = fake.noteContents
    let lost = total - Set(notes).count
    let doubled = notes.count - Set(notes).count
    let p99 = HookBench.percentile(latencies, 0.99)
    return Row(
      name:
        "hook ack p99 with a stop and restart in the middle (\(total) deliveries, \(senders) senders; away \(String(format: "%.1f", away)) s, exit \(exit); \(lost) lost, \(doubled) doubled; slowest \(slowest.joined(separator: ", ")))",
      ours: String(format: "%.1f ms", p99 * 1000), baseline: "50 ms", ratio: p99 / 0.05,
      target: "< 50 ms, 0 lost, 0 doubled, exit 0", met: p99 < 0.05 && lost == 0 && doubled == 0 && exit == 0)
  }

  /// How many times the log says the daemon listens.
  static func listening(_ log: URL) -> Int {
    ((try? String(contentsOf: log, encoding: .utf8)) ?? "").components(separatedBy: "hooks: listening on").count - 1
  }

  /// Every body until it is acknowledged (a refused connection or a non-2xx
  /// is sent again 50 ms on); the time of each acknowledged request.
  static func resend(
    _ bodies: [Data], to url: String, secret: String, senders: Int, acked: Counter, _ http: HTTPClient
  ) async throws -> [(sent: ContinuousClock.Instant, latency: Double)] {
    let next = Counter()
    return try await withThrowingTaskGroup(of: [(sent: ContinuousClock.Instant, latency: Double)].self) { group in
      for _ in 0..<senders {
        group.addTask {
          var latencies: [(sent: ContinuousClock.Instant, latency: Double)] = []
          while true {
            let i = next.value.add(1, ordering: .relaxed).oldValue
            guard i < bodies.count else { break }
            while true {
              let start = ContinuousClock.now
              let request = HookBench.delivery(bodies[i], to: url, secret: secret)
              if let response = try? await http.execute(request, timeout: .seconds(30)),
                (try? await response.body.collect(upTo: 1 << 16)) != nil, (200..<300).contains(response.status.code)
              {
                latencies.append((start, (ContinuousClock.now - start) / .seconds(1)))
                acked.value.add(1, ordering: .relaxed)
                break
              }
              try await Task.sleep(for: .milliseconds(50))
            }
          }
          return latencies
        }
      }
      var all: [(sent: ContinuousClock.Instant, latency: Double)] = []
      for try await part in group { all += part }
      return all
    }
  }
}
