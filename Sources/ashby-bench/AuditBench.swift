import AshbyCLI
import AshbyFake
import AshbyJSON
import AshbyKit
import AshbyState
import Foundation

/// What the audit log costs a run that writes: writes at the fake with 25 ms of latency, 16 in flight,
/// each recorded in a SQLite state before it is sent and completed after, against the same without it.
enum AuditBench {
  static func run() async throws -> Row {
    let writes = 2000
    var options = FakeAshby.Options()
    options.latency = .milliseconds(25)
    let fake = try await FakeAshby.start(options)
    let candidate = fake.seedIDs("candidate")[0]
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ashby-bench-audit-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    func client(audited: Bool) -> AshbyClient {
      var config = AshbyConfiguration(baseURL: fake.baseURL, apiKey: AshbyAPIKey(FakeAshby.fullKey))
      config.requestsPerMinute = 10_000_000
      config.maxInFlight = 16
      if audited {
        let path = folder.appendingPathComponent("state-\(UUID().uuidString).sqlite").path
        config.journal = AuditJournal(origin: .init(runID: AuditJournal.newRunID(), origin: "run")) {
          try StateStore(path: path)
        }
      }
      return AshbyClient(configuration: config)
    }
    func seconds(audited: Bool) async throws -> Double {
      let client = client(audited: audited)
      let start = ContinuousClock.now
      try await withThrowingTaskGroup(of: Void.self) { group in
        for i in 0..<writes {
          if i >= 16 { try await group.next() }
          group.addTask {
            _ = try await client.call(
              "candidate.createNote", ["candidateId": .string(candidate), "note": .string("bench \(i)")])
          }
        }
        try await group.waitForAll()
      }
      await client.shutdown()  // the audit rows' last completions included
      let d = ContinuousClock.now - start
      return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
    _ = try await seconds(audited: false)  // warm up: connections, the fake's tables
    // Rounds alternating which goes first; the median of per-round ratios resists a shared machine's noise.
    var on: [Double] = []
    var off: [Double] = []
    for round in 0..<3 {
      if round % 2 == 0 {
        off.append(try await seconds(audited: false))
        on.append(try await seconds(audited: true))
      } else {
        on.append(try await seconds(audited: true))
        off.append(try await seconds(audited: false))
      }
    }
    await fake.stop()
    let ratio = median(zip(on, off).map { $0 / $1 })
    return Row(
      name: "\(writes) writes at 25 ms latency, 16 in flight: audit log on (SQLite, a row before and after each) vs off",
      ours: String(format: "%.0f ms", median(on) * 1000), baseline: String(format: "%.0f ms", median(off) * 1000),
      ratio: ratio, target: "≤ 1.10×", met: ratio <= 1.10)
  }
}
