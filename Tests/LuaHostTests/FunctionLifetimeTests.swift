import LuaHost
import Foundation
import Synchronization
import Testing

/// A Swift function registered in Lua lives as long as its Lua value, as LuaSwift's do: a function
/// dropped or replaced frees what its closure holds at the next collection, not when the VM closes.
@Suite struct FunctionLifetimeTests {
  /// Something a host function's closure holds; it says when it is freed.
  final class Held: Sendable {
    let flag: Flag
    init(_ flag: Flag) { self.flag = flag }
    deinit { flag.set() }
  }

  final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
  }

  @Test func aDroppedFunctionIsFreedByTheCollector() async throws {
    let kept = Flag()
    try await exercise(kept: kept)
    // The VM is gone: its thread closes the state, which frees the rest.
    let deadline = ContinuousClock.now + .seconds(30)
    while !kept.isSet && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
    #expect(kept.isSet, "closing the VM frees every function left")
  }

  func exercise(kept: Flag) async throws {
    let vm = try await makeVM()
    let replaced = Flag(), dropped = Flag()
    try await vm.perform { ctx in
      for (name, flag) in [("host.replaced", replaced), ("host.dropped", dropped), ("host.kept", kept)] {
        let held = Held(flag)
        ctx.register(name) { stack in
          _ = held
          stack.push(.integer(1))
          return 1
        }
      }
    }
    let before = try await vm.run("return host.replaced() + host.dropped() + host.kept()")
    #expect(before == [.integer(3)])
    #expect(!replaced.isSet && !dropped.isSet && !kept.isSet)
    try await vm.perform { ctx in ctx.register("host.replaced") { _ in 0 } }
    let after = try await vm.run("host.dropped = nil; collectgarbage(); collectgarbage(); return host.kept()")
    #expect(after == [.integer(1)])
    #expect(replaced.isSet && dropped.isSet, "a function no Lua value holds any more keeps its closure")
    #expect(!kept.isSet)
    // A collection with the function on the stack, mid-call, keeps it: the call completes.
    let midCall = try await vm.run("local f = host.kept; host.kept = nil; collectgarbage(); return f()")
    #expect(midCall == [.integer(1)])
  }
}
