import Foundation
import LuaHost

/// ns per call of a registered no-op Swift function vs Lua's own `math.abs`.
enum LuaCallBench {
  static func run() async throws -> [Row] {
    let vm = try LuaVM()
    let n = 10_000_000
    let (noop, abs, empty) = try await vm.perform { ctx -> (Double, Double, Double) in
      ctx.register("bench.noop") { _ in 0 }
      func time(_ body: String) throws -> Double {
        try best(of: 5) {
          let r = try ctx.run(
            """
            local f = \(body)
            local clock = os.clock
            local t0 = clock()
            for i = 1, \(n) do f(i) end
            return clock() - t0
            """)
          return (r.first?.doubleValue ?? .nan) / Double(n) * 1e9
        }
      }
      return (try time("bench.noop"), try time("math.abs"), try time("function() end"))
    }
    return [
      Row(
        name: "host call: no-op Swift function vs math.abs (ns/call)",
        ours: String(format: "%.1f ns", noop), baseline: String(format: "%.1f ns (empty Lua fn %.1f ns)", abs, empty),
        ratio: noop / abs, target: "≤ 1.30×", met: noop / abs <= 1.3)
    ]
  }
}
