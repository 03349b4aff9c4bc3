import AshbyScripting
import AshbyTestSupport
import Foundation
import LuaHost
import Testing

/// Runs every stdlib/tests/*.lua file; each is plain Lua with asserts.
@Suite(.teardown) struct StdlibTests {
  static let files: [String] = {
    let dir = packageRoot.appendingPathComponent("stdlib/tests")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    return names.filter { $0.hasSuffix(".lua") }.sorted()
  }()

  @Test func thereAreLuaTests() { #expect(Self.files.count >= 3) }

  @Test(arguments: files)
  func luaTestFile(_ name: String) async throws {
    let s = try await Session.start()
    onTeardown { await s.stop() }
    let path = packageRoot.appendingPathComponent("stdlib/tests/\(name)").path
    let r = try await s.vm.perform { ctx -> [LuaValue] in
      try ctx.loadFile(path)
      return try ctx.call { stack, n in try stack.values(from: stack.count - n + 1) }
    }
    #expect(r.first == "ok", "\(name) returned \(r)")
  }
}
