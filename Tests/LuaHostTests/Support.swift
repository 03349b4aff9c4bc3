import Foundation
import LuaHost

/// A VM with the task library at `task`, an async `echo` that sleeps a little, and `json`.
func makeVM(_ configure: (inout LuaVM.Options) -> Void = { _ in }) async throws -> LuaVM {
  var options = LuaVM.Options()
  configure(&options)
  let vm = try LuaVM(options: options)
  try await vm.perform { ctx in
    ctx.installTaskLibrary(at: "task")
    ctx.installJSON(at: "json")
    ctx.registerAsync("host.echo") { args in
      try await Task.sleep(nanoseconds: 2_000_000)
      return args
    }
    ctx.registerAsync("host.fail") { args in
      try await Task.sleep(nanoseconds: 1_000_000)
      throw LuaHostError(kind: "api", message: "it failed", extra: ["code": "boom"])
    }
    ctx.register("host.top") { stack in
      stack.push(.integer(Int64(stack.count)))
      return 1
    }
  }
  return vm
}

extension LuaVM {
  /// Runs `source` as a script and returns its results.
  func run(_ source: String, name: String = "=test", timeout: Double? = nil) async throws -> [LuaValue] {
    try await perform { ctx in try ctx.run(source, name: name, timeout: timeout) }
  }

  /// The main stack's height, which every run must leave as it found it.
  func stackTop() async throws -> Int32 {
    try await perform { ctx in ctx.stack.count }
  }
}

func elapsed(_ body: () async throws -> Void) async rethrows -> Double {
  let start = Date()
  try await body()
  return Date().timeIntervalSince(start)
}
