import LuaHost
import Testing

@Suite struct SandboxTests {
  @Test func sandboxedScriptsCannotReachTheSystem() async throws {
    let vm = try await makeVM { $0.sandbox = true }
    let r = try await vm.run(
      """
      return rawget(io, "open") == nil and rawget(io, "popen") == nil and rawget(io, "lines") == nil,
        rawget(os, "execute") == nil and rawget(os, "getenv") == nil and rawget(os, "exit") == nil,
        rawget(string, "dump") == nil and rawget(debug, "getinfo") == nil and rawget(debug, "sethook") == nil,
        rawget(_G, "loadfile") == nil and rawget(_G, "dofile") == nil and rawget(package, "loadlib") == nil,
        rawget(package, "searchpath") == nil and package.path == "" and package.cpath == "",
        type(debug.traceback), type(os.time), type(io.write)
      """)
    #expect(r == [true, true, true, true, true, "function", "function", "function"])
  }

  /// Every capability the sandbox takes away answers with its name, what to do
  /// instead and how to lift the sandbox, not "attempt to call a nil value".
  @Test(arguments: [Sandbox.flagReason, Sandbox.scheduledReason])
  func everyRemovedCapabilitySaysWhatToDo(reason: String) async throws {
    let vm = try await makeVM {
      $0.sandbox = true
      $0.sandboxReason = reason
    }
    for (name, instead) in Sandbox.removed {
      let parts = name.split(separator: ".").map(String.init)
      let (owner, key) = parts.count == 2 ? (parts[0], parts[1]) : ("_G", name)
      let r = try await vm.run(
        """
        local owner = \(owner)
        local absent = rawget(owner, "\(key)") == nil
        local ok, err = pcall(function() return owner["\(key)"]("x") end)
        return absent, ok, err
        """)
      #expect(r.count == 3 && r[0] == true && r[1] == false, "\(name): \(r)")
      let message = r.count == 3 ? r[2].stringValue ?? "" : ""
      #expect(message.contains("\(name) is not available in a sandboxed run: \(instead); \(reason)"), "\(name): \(message)")
    }
    // Keys that were never there stay plain nils.
    #expect(try await vm.run("return io.nothing, os.nothing, string.nothing, nothing_at_all") == [.nil, .nil, .nil, .nil])
  }

  @Test func scanFindsRemovedCapabilitiesByLine() {
    let found = Sandbox.mentions(
      in: """
        local f = io.open("x")     -- line 1
        print(myio.open, io.opener, x.os.getenv) -- not these
        -- os.execute("ls") in a comment
        local e = os.getenv("HOME"); dofile("y.lua")
        io.write("fine") debug.traceback()
        """)
    #expect(found.map(\.line) == [1, 4, 4] && found.map(\.name) == ["io.open", "os.getenv", "dofile"], "\(found)")
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
