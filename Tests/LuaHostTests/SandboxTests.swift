import LuaHost
import Testing

@Suite struct SandboxTests {
  @Test func sandboxedScriptsCannotReachTheSystem() async throws {
    let vm = try await makeVM { $0.sandbox = true }
    let r = try await vm.run(
      """
      return io.open == nil and io.popen == nil and io.lines == nil and io.read == nil, os.execute == nil,
        os.exit == nil, os.remove == nil, os.rename == nil, os.getenv == nil, package.loadlib == nil,
        string.dump == nil, debug.getinfo == nil, debug.sethook == nil, loadfile == nil and dofile == nil,
        os.setlocale == nil, package.searchpath == nil, type(debug.traceback), type(os.time), type(io.write)
      """)
    #expect(r == [true, true, true, true, true, true, true, true, true, true, true, true, true, "function", "function", "function"])
  }

  @Test func sandboxedScriptsCannotLoadBytecode() async throws {
    let plain = try await makeVM()
    let bytecode = try await plain.run("return string.dump(function() return 1 end)")
    guard case .bytes(let code) = bytecode.first else {
      Issue.record("string.dump returned \(bytecode)")
      return
    }
    let vm = try await makeVM { $0.sandbox = true }
    try await vm.perform { ctx in ctx.setGlobal("code", .bytes(code)) }
    let r = try await vm.run(
      """
      local f, err = load(code, "x", "b")
      local f2, err2 = load(code)
      return f == nil, err, f2 == nil
      """)
    #expect(r[0] == true)
    #expect(r[1].stringValue?.contains("binary") == true)
    #expect(r[2] == true)
  }

  @Test func withoutSandboxEverythingIsThere() async throws {
    let vm = try await makeVM()
    #expect(
      try await vm.run("return type(io.open), type(os.execute), type(debug.getinfo)") == [
        "function", "function", "function",
      ])
  }
}
