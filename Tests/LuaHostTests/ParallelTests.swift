import Foundation
import LuaHost
import Testing

@Suite struct ParallelTests {
  @Test func hundredChildrenSleepInParallelUnderTheCap() async throws {
    let vm = try await makeVM { $0.maxConcurrentCalls = 10 }
    // The baseline, measured here so a loaded machine slows both sides: 20 sleeps one after another.
    let sequential = try await elapsed {
      _ = try await vm.run("for i = 1, 20 do task.sleep(0.010) end")
    }
    var results: [LuaValue] = []
    let parallel = try await elapsed {
      results = try await vm.run(
        """
        local hs = {}
        for i = 1, 100 do hs[i] = task.spawn(function() task.sleep(0.010); return i end) end
        local sum = 0
        for i = 1, 100 do sum = sum + task.wait(hs[i]) end
        return sum
        """)
    }
    #expect(results == [.integer(5050)])
    // 100 one after another would take 5 × the baseline; 10 at a time about half the baseline.
    let sequentialHundred = sequential * 5
    #expect(
      parallel < sequentialHundred * 0.4, "100 children: \(parallel) s; one after another ≈ \(sequentialHundred) s")
  }

  @Test func waitReturnsFirstResultsInArgumentOrderAndFailuresStayIsolated() async throws {
    let vm = try await makeVM()
    let r = try await vm.run(
      """
      local a = task.spawn(function() task.sleep(0.02); return "a", "ignored" end)
      local b = task.spawn(function() return host.echo("b") end)
      local bad = task.spawn(function() host.fail() end)
      local x, y = task.wait(a, b)
      local ok, err = pcall(task.wait, a, bad, b)
      return x, y, ok, err.kind
      """)
    #expect(r == ["a", "b", false, "api"])
  }

  @Test func waitAnyReturnsTheFirstToFinish() async throws {
    let vm = try await makeVM()
    let r = try await vm.run(
      """
      local slow = task.spawn(function() task.sleep(0.2); return "slow" end)
      local fast = task.spawn(function() task.sleep(0.01); return "fast" end)
      return task.wait_any(slow, fast)
      """)
    #expect(r == [2, "fast"])
  }

  @Test func waitInsideANonYieldableContextStillDrivesChildren() async throws {
    let vm = try await makeVM()
    let r = try await vm.run(
      """
      local t = { 2, 1 }
      table.sort(t, function(a, b)
        local h = task.spawn(function() task.sleep(0.001); return a < b end)
        return task.wait(h)
      end)
      return t[1], t[2]
      """)
    #expect(r == [1, 2])
  }

  @Test func childrenLeftRunningAreClosedWhenTheRunEnds() async throws {
    let vm = try await makeVM()
    _ = try await vm.run(
      """
      closed = false
      task.spawn(function()
        local guard <close> = setmetatable({}, { __close = function() closed = true end })
        task.sleep(10)
      end)
      """)
    #expect(try await vm.run("return closed") == [true])
    #expect(try await vm.stackTop() == 0)
  }
}
