import AshbySpec
import Foundation

/// `ashby-lua test`'s isolation cost: a spec file of 200 empty `it`s (each
/// with a fresh fake Ashby world and client caches) vs one `it` making 200
/// empty Lua function calls, both through the same runner (VM, fake, report).
/// The difference per test is what isolation costs; the target is 20 ms.
enum SpecBench {
  static let tests = 200

  static func run() async throws -> Row {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ashby-bench-spec-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let many = folder.appendingPathComponent("many_spec.lua"), one = folder.appendingPathComponent("one_spec.lua")
    try "for i = 1, \(tests) do it(\"empty \" .. i, function() end) end\n".write(to: many, atomically: true, encoding: .utf8)
    try "local function f() end\nit(\"calls\", function() for i = 1, \(tests) do f() end end)\n".write(
      to: one, atomically: true, encoding: .utf8)
    func seconds(_ file: URL, expecting count: Int) async throws -> Double {
      var bestTime = Double.infinity
      for _ in 0..<3 {
        let suite = SpecSuite(paths: [file.path], program: "/bin/false")
        let started = ContinuousClock.now
        let results = try await suite.run([file.path])
        let elapsed = ContinuousClock.now - started
        guard results.count == count, results.allSatisfy({ $0.status == .success }) else {
          throw BenchError("the spec benchmark's file did not pass: \(results)")
        }
        bestTime = min(bestTime, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
      }
      return bestTime
    }
    let isolated = try await seconds(many, expecting: tests)
    let calls = try await seconds(one, expecting: 1)
    let perTest = (isolated - calls) / Double(tests - 1) * 1000
    return Row(
      name: "ashby-lua test: \(tests) empty its (a fresh fake world each) vs \(tests) empty Lua calls in one it",
      ours: String(format: "%.0f ms (%.3f ms per test)", isolated * 1000, perTest),
      baseline: String(format: "%.0f ms", calls * 1000), ratio: isolated / calls, target: "≤ 20 ms per test",
      met: perTest <= 20)
  }
}
