import Foundation

/// `ashby-bench [--quick] [lua|json|client|startup|pages|pacing|hooks|test|mcp|all]...`: one table, every row a
/// ratio against a baseline measured in the same run. `--quick` shortens the rows that take
/// more than a minute (CI runs it); scripts/bench builds everything and runs this.
@main
struct Bench {
  static let groups = ["lua", "json", "client", "startup", "pages", "pacing", "hooks", "test", "mcp"]

  static func main() async throws {
    let args = CommandLine.arguments.dropFirst()
    let quick = args.contains("--quick")
    var which = args.filter { $0 != "--quick" }
    if which.isEmpty || which.contains("all") { which = groups }
    if let unknown = which.first(where: { !groups.contains($0) }) {
      throw BenchError("unknown benchmark \(unknown); choose from \(groups.joined(separator: ", ")), all")
    }
    var rows: [Row] = []
    if which.contains("lua") { rows += try await LuaCallBench.run() }
    if which.contains("json") { rows += try await JSONBench.run() }
    if which.contains("client") {
      rows += try await ClientBench.run()
      rows.append(try await AuditBench.run())
    }
    if which.contains("startup") { rows += try ProcessBench.coldStart(quick: quick) }
    if which.contains("pages") { rows += try await ProcessBench.pagesMemory(quick: quick) }
    if which.contains("pacing") {
      rows += try await AdaptivePacingBench.run(quick: quick)
      rows += try await PacingBench.run(quick: quick)
      rows += try await ApplyBench.run(quick: quick)
    }
    if which.contains("hooks") {
      rows += try await HookBench.run(quick: quick)
      rows.append(try await HookRestartBench.run(quick: quick))
    }
    if which.contains("test") { rows.append(try await SpecBench.run()) }
    if which.contains("mcp") { rows += try MCPBench.run(quick: quick) }
    print(Row.table(rows))
    let missed = rows.filter { $0.met == false }
    print(missed.isEmpty ? "every target met" : "\(missed.count) target\(missed.count == 1 ? "" : "s") not met")
  }
}

/// One line of the printed table.
struct Row {
  var name: String
  var ours: String
  var baseline: String
  var ratio: Double
  var target: String
  /// nil for a figure printed for context, with no target.
  var met: Bool?

  static func table(_ rows: [Row]) -> String {
    var out = "| benchmark | ours | baseline | ratio | target | met |\n|---|---|---|---|---|---|\n"
    for r in rows {
      out +=
        "| \(r.name) | \(r.ours) | \(r.baseline) | \(String(format: "%.2f×", r.ratio)) | \(r.target) | \(r.met.map { $0 ? "yes" : "NO" } ?? "—") |\n"
    }
    return out
  }
}

/// The best (smallest) of several timings, to cut noise on a shared machine.
func best(of runs: Int, _ body: () throws -> Double) rethrows -> Double {
  var m = Double.infinity
  for _ in 0..<runs { m = min(m, try body()) }
  return m
}
