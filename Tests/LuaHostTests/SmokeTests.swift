import LuaHost
import Testing

@Suite struct SmokeTests {
  @Test func plainAsyncCall() async throws {
    let vm = try await makeVM()
    let r = try await vm.run("local a, b = host.echo(1, 'x'); return a + 1, b")
    #expect(r == [.integer(2), .string("x")])
    #expect(try await vm.stackTop() == 0)
  }
}
