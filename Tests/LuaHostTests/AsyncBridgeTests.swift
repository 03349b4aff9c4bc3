import Foundation
import LuaHost
import Testing

@Suite struct AsyncBridgeTests {
  @Test func fromPlainCode() async throws {
    let vm = try await makeVM()
    #expect(try await vm.run("return host.echo(41) + 1") == [.integer(42)])
  }

  @Test func insideCoroutineWrapIterator() async throws {
    let vm = try await makeVM()
    let r = try await vm.run(
      """
      local function items()
        return coroutine.wrap(function()
          for i = 1, 3 do coroutine.yield(host.echo(i * 10)) end
        end)
      end
      local sum = 0
      for v in items() do sum = sum + v end
      return sum
      """)
    #expect(r == [.integer(60)])
  }

  @Test func insideUserCoroutineResume() async throws {
    let vm = try await makeVM()
    let r = try await vm.run(
      """
      local co = coroutine.create(function(a)
        local b = coroutine.yield(host.echo(a) + 1)
        return host.echo(b) * 2
      end)
      local ok1, v1 = coroutine.resume(co, 1)
      local ok2, v2 = coroutine.resume(co, 5)
      return ok1, v1, ok2, v2, coroutine.status(co)
      """)
    #expect(r == [true, 2, true, 10, "dead"])
  }

  @Test func insideTableSortComparator() async throws {
    let vm = try await makeVM()
    let r = try await vm.run(
      """
      local t = { 3, 1, 2 }
      table.sort(t, function(a, b) return host.echo(a) < host.echo(b) end)
      return t[1], t[2], t[3]
      """)
    #expect(r == [1, 2, 3])
  }

  @Test func insideGsubCallbackAndPcall() async throws {
    let vm = try await makeVM()
    let r = try await vm.run(
      """
      local s = ("abc"):gsub("%w", function(c) return host.echo(c:upper()) end)
      local ok, v = pcall(function() return host.echo("in pcall") end)
      return s, ok, v
      """)
    #expect(r == ["ABC", true, "in pcall"])
  }

  @Test func insideRequiredChunkTopLevel() async throws {
    let vm = try await makeVM()
    let r = try await vm.run(
      """
      package.preload.m = function() return { v = host.echo("loaded") } end
      return require("m").v
      """)
    #expect(r == ["loaded"])
  }

  @Test func topLevelLooksLikeTheMainThread() async throws {
    let vm = try await makeVM()
    let r = try await vm.run(
      """
      local co, ismain = coroutine.running()
      local ok, err = pcall(coroutine.yield, 1)
      local inner = coroutine.wrap(function() return coroutine.isyieldable() end)()
      return ismain, coroutine.isyieldable(), ok, err, inner, type(co)
      """)
    #expect(r == [true, false, false, "attempt to yield from outside a coroutine", true, "thread"])
  }

  @Test func wrapErrorsKeepLuaBehaviour() async throws {
    let vm = try await makeVM()
    let r = try await vm.run(
      """
      local f = coroutine.wrap(function() error("boom") end)
      local ok, err = pcall(f)
      local ok2, err2 = pcall(f)
      return ok, err, ok2, err2
      """, name: "@w.lua")
    #expect(r[0] == false)
    #expect(r[1].stringValue?.hasSuffix("w.lua:1: boom") == true)
    #expect(r[3].stringValue?.contains("cannot resume dead coroutine") == true)
  }

  @Test func aWaitingCoroutineCannotBeResumedBySomeoneElse() async throws {
    let vm = try await makeVM()
    let r = try await vm.run(
      """
      local co
      co = coroutine.create(function() return host.echo("done") end)
      local h = task.spawn(function()
        return coroutine.status(co), coroutine.resume(co)
      end)
      -- the child resumed co first; co now waits on the host, so it is busy
      local ok, err = coroutine.resume(co)
      local during = coroutine.status(co)
      local status = task.wait(h)
      return ok, err, during, status, coroutine.status(co)
      """)
    #expect(r == [false, "cannot resume non-suspended coroutine", "normal", "suspended", "dead"])
  }

  @Test func errorsFromAsyncCallsAreTablesWithWhere() async throws {
    let vm = try await makeVM()
    let r = try await vm.run(
      """
      local ok, err = pcall(function()
        return host.fail()
      end)
      return ok, type(err), err.kind, err.code, err.where, tostring(err), getmetatable(err) ~= nil
      """, name: "@script.lua")
    #expect(r[0] == false)
    #expect(r[1] == "table")
    #expect(r[2] == "api")
    #expect(r[3] == "boom")
    #expect(r[4] == "script.lua:2")
    #expect(r[5] == "api (boom): it failed at script.lua:2")
    #expect(r[6] == true)
  }

  @Test func uncaughtErrorsReachSwiftWithTraceback() async throws {
    let vm = try await makeVM()
    await #expect {
      _ = try await vm.run("local function f()\n  host.fail()\nend\nf()", name: "@job.lua")
    } throws: { error in
      guard let e = error as? ScriptError else { return false }
      return e.kind == "api" && e.file == "job.lua" && e.line == 2 && e.traceback.contains("job.lua:4")
        && e.message == "api (boom): it failed at job.lua:2"
    }
    #expect(try await vm.stackTop() == 0)
  }

  @Test func syntaxErrorsSayWhenInputIsIncomplete() async throws {
    let vm = try await makeVM()
    await #expect {
      _ = try await vm.run("for i = 1, 2 do")
    } throws: { error in
      (error as? ScriptError)?.incompleteInput == true && (error as? ScriptError)?.status == .syntax
    }
    await #expect {
      _ = try await vm.run("x = = 1")
    } throws: { error in (error as? ScriptError)?.incompleteInput == false }
  }
}
