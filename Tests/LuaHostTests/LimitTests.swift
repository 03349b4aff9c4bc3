import AshbyTestSupport
import Foundation
import LuaHost
import Testing

@Suite struct LimitTests {
  @Test func pcallCannotSwallowTheTimeLimit() async throws {
    let vm = try await makeVM()
    await #expect {
      _ = try await vm.run(
        """
        for i = 1, 5 do
          pcall(function() while true do end end)
        end
        while true do pcall(error, "again") end
        """, timeout: 0.2)
    } throws: { error in (error as? ScriptError)?.kind == "limit" }
    // The VM is still usable afterwards.
    #expect(try await vm.run("return 1 + 1") == [2])
  }

  @Test func theTimeLimitAlsoStopsAScriptWaitingOnTheHost() async throws {
    let vm = try await makeVM()
    let seconds = await elapsed {
      await #expect {
        _ = try await vm.run("task.sleep(120)", timeout: 0.2)
      } throws: { error in (error as? ScriptError)?.kind == "limit" }
    }
    #expect(seconds < 60)  // far from the 120 s sleep, even on a loaded machine
  }

  @Test func interruptCancelsARunningLoopAndRunsCloseHandlers() async throws {
    let vm = try await makeVM()
    Task {
      try await Task.sleep(nanoseconds: 100_000_000)
      vm.interrupt()
    }
    await #expect {
      _ = try await vm.run(
        """
        cleaned = false
        local c <close> = setmetatable({}, { __close = function() cleaned = true end })
        while true do end
        """)
    } throws: { error in (error as? ScriptError)?.kind == "cancelled" }
    #expect(try await vm.run("return cleaned") == [true])
  }

  @Test func interruptCancelsAPendingHostCall() async throws {
    let vm = try await makeVM()
    Task {
      try await Task.sleep(nanoseconds: 100_000_000)
      vm.interrupt()
    }
    let seconds = await elapsed {
      await #expect {
        _ = try await vm.run("local ok, e = pcall(task.sleep, 120); error(e)")
      } throws: { error in (error as? ScriptError)?.kind == "cancelled" }
    }
    #expect(seconds < 60)  // far from the 120 s sleep, even on a loaded machine
  }

  @Test func memoryCapFailsTheAllocationAndTheHostSurvives() async throws {
    let vm = try await makeVM { $0.memoryLimit = 64 << 20 }
    let r = try await vm.run(
      """
      local ok, err = pcall(string.rep, "x", 1e9)
      return ok, err
      """)
    #expect(r == [false, "not enough memory"])
    await #expect {
      _ = try await vm.run("local t = {} for i = 1, 1e8 do t[i] = i end")
    } throws: { error in (error as? ScriptError)?.status == .memory }
    #expect(try await vm.run("return #string.rep('y', 1000)") == [1000])
  }

  /// `warn` reaches the host's logger as one message (its pieces joined), and only once `@on` turned it on.
  @Test func warningsGoToTheHost() async throws {
    let seen = CapturedLogs()
    let vm = try await makeVM { options in options.logger = seen.logger() }
    #expect(try await vm.run("warn('before on'); warn('@on'); warn('hello ', 'host'); return true") == [true])
    #expect(seen.all == ["warning hello host"])
  }
}
