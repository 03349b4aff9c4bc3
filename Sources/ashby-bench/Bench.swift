import Foundation

/// `ashby-bench [lua|json|client|all]`: prints ratios against baselines measured in the same run.
@main
struct Bench {
  static func main() async throws {
    let which = CommandLine.arguments.dropFirst().first ?? "all"
    var rows: [Row] = []
    if which == "lua" || which == "all" { rows += try await LuaCallBench.run() }
    if which == "json" || which == "all" { rows += try await JSONBench.run() }
    if which == "client" || which == "all" { rows += try await ClientBench.run() }
    print(Row.table(rows))
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
