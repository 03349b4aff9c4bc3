import AshbyCLI
import AshbyFake
import AshbyJSON
import AshbyKit
import AshbyPlans
import AshbyState
import Foundation

/// `apply` of a plan's writes against a server that allows the budget in any sliding window: each write
/// recorded in the audit log, paced by the same budget a run's are.
enum ApplyBench {
  static func run(quick: Bool) async throws -> [Row] {
    // Quick: the same shape on a 3 s window; full: Ashby's 1,000 per minute.
    let (budget, window, writes) = quick ? (100, Duration.seconds(3), 500) : (1000, Duration.seconds(60), 2000)
    var options = FakeAshby.Options()
    options.rateLimit = FakeRateLimit(limit: budget, window: window)
    let fake = try await FakeAshby.start(options)
    let candidates = fake.seedIDs("candidate")
    let steps = (0..<writes).map { i in
      PlanStep(
        endpoint: "candidate.createNote",
        params: ["candidateId": .string(candidates[i % candidates.count]), "note": .string("applied \(i)")],
        action: "candidate.createNote")
    }
    let plan = Plan(baseURL: fake.baseURL.absoluteString, keyTitle: nil, apiVersion: "", script: nil, steps: steps)
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ashby-bench-apply-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let state = folder.appendingPathComponent("state.sqlite").path
    var config = AshbyConfiguration(baseURL: fake.baseURL, apiKey: AshbyAPIKey(FakeAshby.fullKey))
    config.requestsPerMinute = budget
    config.rateWindow = window
    config.journal = AuditJournal(origin: .init(runID: AuditJournal.newRunID(), origin: "apply")) {
      try StateStore(path: state)
    }
    let client = AshbyClient(configuration: config)
    let results = await PlanApplier(plan: plan, client: client, onDrift: .skip, earlier: []).apply { _ in }
    await client.shutdown()
    let applied = results.filter { $0.status == .applied }.count
    let recorded = try StateStore(path: state).audit(AuditFilter(planID: plan.id, limit: writes * 2))
      .filter { $0.outcome == "ok" }.count
    let arrivals = fake.admittedArrivals
    let span = (arrivals.last ?? .now) - (arrivals.first ?? .now)
    let ideal = window * ((writes - 1) / budget)
    let used = span > .zero ? ideal / span : 0
    let limited = fake.rateLimitedCount
    await fake.stop()
    let what = "apply of a plan of \(writes) writes, server allows \(budget) per \(window) sliding"
    return [
      Row(
        name: "plans: 429s received (\(what))", ours: "\(limited)", baseline: "0", ratio: Double(limited), target: "0",
        met: limited == 0),
      Row(
        name: "plans: share of the budget apply used", ours: String(format: "%.1f%%", used * 100),
        baseline: "\(ideal) for the last batch to start", ratio: used, target: "≥ 0.95×", met: used >= 0.95),
      Row(
        name: "plans: writes applied and in the audit log", ours: "\(applied), \(recorded)", baseline: "\(writes)",
        ratio: Double(min(applied, recorded)) / Double(writes), target: "all", met: applied == writes && recorded == writes),
    ]
  }
}
