import AshbyFake
import AshbyKit
import Foundation
import Synchronization

/// Reads against servers that limit otherwise than our own minute: a short
/// window, random refusals and server errors, a limit that drops mid-run. Each
/// row's baseline is measured in the same run: the same reads against a server
/// without the trouble, or by a client told the server's exact limit.
enum AdaptivePacingBench {
  static func run(quick: Bool) async throws -> [Row] {
    var rows: [Row] = []
    rows.append(try await shortWindow(reads: 200))
    rows += try await faults(reads: 40, inFlight: 8, bound: 15)
    rows += try await faults(reads: quick ? 100 : 400, inFlight: 16, bound: nil)
    rows.append(try await drop(reads: 500, window: quick ? .seconds(6) : .seconds(60)))
    return rows
  }

  struct Outcome {
    var failed: Int
    var elapsed: Duration
    var seconds: Double { elapsed / .seconds(1) }
  }

  /// `count` job.info reads, `inFlight` at a time; `after(i)` runs when read `i` (1-based) has answered.
  static func reads(
    _ client: AshbyClient, _ fake: FakeAshby, count: Int, inFlight: Int, after: @escaping @Sendable (Int) -> Void = { _ in }
  ) async throws -> Outcome {
    let job = fake.seedIDs("job").first ?? "job"
    let started = ContinuousClock.now
    let failed = try await withThrowingTaskGroup(of: Bool.self) { group in
      var (failed, done) = (0, 0)
      for i in 0..<count {
        if i >= inFlight, let ok = try await group.next() {
          done += 1
          after(done)
          if !ok { failed += 1 }
        }
        group.addTask {
          do {
            _ = try await client.call("job.info", ["id": .string(job)])
            return true
          } catch {
            return false
          }
        }
      }
      while let ok = try await group.next() {
        done += 1
        after(done)
        if !ok { failed += 1 }
      }
      return failed
    }
    return Outcome(failed: failed, elapsed: ContinuousClock.now - started)
  }

  static func fake(_ limit: FakeRateLimit? = nil, faults: [FakeFault] = []) async throws -> FakeAshby {
    var options = FakeAshby.Options()
    options.rateLimit = limit
    options.faults = faults
    options.latency = .milliseconds(5)  // loopback plus a little: a server that takes time to answer
    return try await FakeAshby.start(options)
  }

  static func client(_ fake: FakeAshby, perWindow: Int = 1000, window: Duration = .seconds(60)) -> AshbyClient {
    var config = AshbyConfiguration(baseURL: fake.baseURL, apiKey: AshbyAPIKey(FakeAshby.fullKey))
    config.requestsPerMinute = perWindow
    config.rateWindow = window
    return AshbyClient(configuration: config)
  }

  /// A server at 20 per 1-s window (Retry-After 1), against a client told exactly that.
  static func shortWindow(reads count: Int) async throws -> Row {
    let limit = FakeRateLimit(limit: 20, window: .seconds(1))
    func timed(perWindow: Int, window: Duration) async throws -> Outcome {
      let server = try await fake(limit)
      let c = client(server, perWindow: perWindow, window: window)
      let outcome = try await reads(c, server, count: count, inFlight: 8)
      await c.shutdown()
      await server.stop()
      return outcome
    }
    let ours = try await timed(perWindow: 1000, window: .seconds(60))
    let told = try await timed(perWindow: 20, window: .seconds(1))
    let ratio = ours.seconds / told.seconds
    return Row(
      name: "pacing: \(count) reads, 8 in flight, a server at 20 per 1-s window (failed \(ours.failed))",
      ours: String(format: "%.1f s", ours.seconds),
      baseline: String(format: "%.1f s (a client told 20 per s)", told.seconds), ratio: ratio, target: "≤ 1.25×, 0 failed",
      met: ratio <= 1.25 && ours.failed == 0)
  }

  /// 20% 429 (Retry-After 1) and 10% 5xx, against the fault-free fake.
  static func faults(reads count: Int, inFlight: Int, bound: Double?) async throws -> [Row] {
    func timed(_ faults: [FakeFault]) async throws -> Outcome {
      let server = try await fake(faults: faults)
      let c = client(server)
      let outcome = try await reads(c, server, count: count, inFlight: inFlight)
      await c.shutdown()
      await server.stop()
      return outcome
    }
    let ours = try await timed([FakeFault(.rateLimit, rate: 0.2), FakeFault(.serverError, rate: 0.1)])
    let clean = try await timed([])
    let name = "pacing: \(count) reads, \(inFlight) in flight, 20% 429 + 10% 5xx (failed \(ours.failed))"
    let baseline = String(format: "%.2f s without faults", clean.seconds)
    if let bound {
      return [
        Row(
          name: name, ours: String(format: "%.1f s", ours.seconds), baseline: baseline,
          ratio: ours.seconds / clean.seconds, target: "≤ \(Int(bound)) s, 0 failed",
          met: ours.seconds <= bound && ours.failed == 0)
      ]
    }
    let share = clean.seconds / ours.seconds
    return [
      Row(
        name: name, ours: String(format: "%.1f s", ours.seconds), baseline: baseline, ratio: share,
        target: "≥ 0.50× the throughput, 0 failed", met: share >= 0.5 && ours.failed == 0)
    ]
  }

  /// A server at 1,000 per window that allows 300 once half the reads have answered.
  /// The baseline is what that server could have admitted after the drop at
  /// best: its own rule replayed on what it had admitted by then.
  static func drop(reads count: Int, window: Duration) async throws -> Row {
    let server = try await fake(FakeRateLimit(limit: 1000, window: window))
    let c = client(server, perWindow: 1000, window: window)
    let dropped = Mutex<(at: ContinuousClock.Instant, admitted: [ContinuousClock.Instant])?>(nil)
    let half = count / 2
    let outcome = try await reads(c, server, count: count, inFlight: 16) { done in
      guard done == half else { return }
      server.setRateLimit(FakeRateLimit(limit: 300, window: window))
      dropped.withLock { $0 = (.now, server.admittedArrivals) }
    }
    let end = ContinuousClock.now
    let limited = server.rateLimitedCount
    let total = server.requests(to: "job.info").count
    await c.shutdown()
    await server.stop()
    guard let (at, admitted) = dropped.withLock({ $0 }) else {
      return Row(name: "pacing: drop row did not run", ours: "-", baseline: "-", ratio: 0, target: "-", met: false)
    }
    var times = admitted.sorted()
    var last = at
    for _ in 0..<(count - admitted.count) {
      if times.count >= 300 { last = max(last, times[times.count - 300] + window) }
      times.append(last)
    }
    let ideal: Double = (last - at) / .seconds(1)
    let actual: Double = (end - at) / .seconds(1)
    let share = actual > 0 ? min(1, ideal / actual) : 0
    let refused = Double(limited) / Double(max(1, total))
    return Row(
      name:
        "pacing: \(count) reads, 16 in flight, a server that drops from 1,000 to 300 per \(window) half-way (failed \(outcome.failed), \(limited) × 429 = \(String(format: "%.1f%%", refused * 100)))",
      ours: String(format: "%.1f s after the drop", actual),
      baseline: String(format: "%.1f s (the server's own rule at best)", ideal),
      ratio: share, target: "≥ 0.80× of the allowance, 429s ≤ 5%", met: share >= 0.8 && refused <= 0.05 && outcome.failed == 0)
  }
}
