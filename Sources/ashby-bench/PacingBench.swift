import AshbyJSON
import AshbyFake
import AshbyKit
import Foundation

/// 2,000 paced writes against a server that allows the budget in any sliding window.
enum PacingBench {
  static func run(quick: Bool) async throws -> [Row] {
    // Quick: the same shape on a 3 s window; full: Ashby's 1,000 per minute.
    let (budget, window, writes) = quick ? (100, Duration.seconds(3), 500) : (1000, Duration.seconds(60), 2000)
    var options = FakeAshby.Options()
    options.rateLimit = FakeRateLimit(limit: budget, window: window)
    let fake = try await FakeAshby.start(options)
    var config = AshbyConfiguration(baseURL: fake.baseURL, apiKey: AshbyAPIKey(FakeAshby.fullKey))
    config.requestsPerMinute = budget
    config.rateWindow = window
    let client = AshbyClient(configuration: config)
    let failed = try await withThrowingTaskGroup(of: Bool.self) { group in
      var failed = 0
      for i in 0..<writes {
        if i >= 16, let ok = try await group.next(), !ok { failed += 1 }
        group.addTask {
          do {
            _ = try await client.perform(
              "create_candidate", ["first_name": "Paced", "last_name": .string("N\(i)"), "email": .string("paced\(i)@example.com")])
            return true
          } catch {
            return false
          }
        }
      }
      while let ok = try await group.next() { if !ok { failed += 1 } }
      return failed
    }
    let arrivals = fake.admittedArrivals
    let lost = (0..<writes).filter { fake.candidates(withEmail: "paced\($0)@example.com") != 1 }.count
    let span = (arrivals.last ?? .now) - (arrivals.first ?? .now)
    let ideal = window * ((writes - 1) / budget)
    let used = span > .zero ? ideal / span : 0
    let limited = fake.rateLimitedCount
    await client.shutdown()
    await fake.stop()
    let what = "\(writes) create_candidate, 16 in flight, server allows \(budget) per \(window) sliding"
    return [
      Row(
        name: "pacing: 429s received (\(what))", ours: "\(limited)", baseline: "0", ratio: Double(limited),
        target: "0", met: limited == 0),
      Row(
        name: "pacing: share of the budget used", ours: String(format: "%.1f%%", used * 100),
        baseline: "\(ideal) for the last batch to start", ratio: used, target: "≥ 0.95×", met: used >= 0.95),
      Row(
        name: "pacing: writes lost (failed \(failed))", ours: "\(lost)", baseline: "0", ratio: Double(lost),
        target: "0", met: lost == 0 && failed == 0),
    ]
  }
}
