import Foundation
import LuaHost
import Testing

@Suite struct ParallelTests {
  @Test func hundredChildrenSleepInParallelUnderTheCap() async throws {
    let vm = try await makeVM { $0.maxConcurrentCalls = 10 }
    var results: [LuaValue] = []
    // Sequentially this is 100 × 10 ms = 1 s; with 10 in flight, about 100 ms.
    let seconds = try await elapsed {
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
    // Back to back, 100 sleeps of 10 ms cannot take less than 1 s; with 10 in
    // flight the ideal is 0.1 s. Anything well under 1 s proves they overlapped.
    #expect(seconds < 0.8, "took \(seconds) s; sequential would be at least 1 s")
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
