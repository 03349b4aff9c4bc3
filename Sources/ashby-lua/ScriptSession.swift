import Foundation
import LuaHost

/// One VM set up for a command: libraries installed, Ctrl-C wired to interrupt.
final class ScriptSession: Sendable {
  let vm: LuaVM
  let options: SessionOptions
  private let signals: SignalWatcher

  private init(vm: LuaVM, options: SessionOptions) {
    self.vm = vm
    self.options = options
    self.signals = SignalWatcher { vm.interrupt() }
  }

  static func start(_ options: SessionOptions) async throws -> ScriptSession {
    var vmOptions = LuaVM.Options()
    vmOptions.sandbox = options.sandbox
    vmOptions.memoryLimit = options.maxMemory.map { $0 << 20 }
    vmOptions.maxConcurrentCalls = options.concurrency
    let vm = try LuaVM(options: vmOptions)
    try await vm.perform { ctx in
      ctx.installJSON(at: "json")
    }
    return ScriptSession(vm: vm, options: options)
  }

  /// Runs `-e` chunks, then the script, like `lua`. Returns the exit code.
  func runMain(script: String?, arguments: [String], chunks: [String]) async -> Int32 {
    let timeout = options.timeout
    do {
      try await vm.perform { ctx in
        ctx.setGlobal("arg", Self.argTable(script: script, arguments: arguments))
        for chunk in chunks {
          try ctx.load(chunk, name: "=(command line)")
          try ctx.call(timeout: timeout) { _, _ in () }
        }
        guard let script else { return }
        if script == "-" {
          let input = FileHandle.standardInput.readDataToEndOfFile()
          try ctx.load(Self.withoutShebang(String(decoding: input, as: UTF8.self)), name: "=stdin")
        } else {
          try ctx.loadFile(script)
        }
        try ctx.call(args: arguments.map(LuaValue.string), timeout: timeout) { _, _ in () }
      }
      return 0
    } catch let error as ScriptError {
      report(error)
      return Exit.code(for: error)
    } catch {
      FileHandle.standardError.write(Data("ashby-lua: \(error)\n".utf8))
      return Exit.scriptError
    }
  }

  func finish() async {}

  /// `arg[0]` is the script, `arg[1...]` its arguments, `arg[-1]` the program.
  static func argTable(script: String?, arguments: [String]) -> LuaValue {
    var table: [LuaValue: LuaValue] = [.integer(-1): .string(CommandLine.arguments.first ?? "ashby-lua")]
    if let script { table[.integer(0)] = .string(script) }
    for (i, a) in arguments.enumerated() { table[.integer(Int64(i + 1))] = .string(a) }
    return .table(table)
  }

  static func withoutShebang(_ source: String) -> String {
    guard source.hasPrefix("#") else { return source }
    guard let newline = source.firstIndex(of: "\n") else { return "" }
    return String(source[newline...])  // keep the newline so line numbers stay right
  }

  /// Prints the error and the traceback, trimmed to the script's own frames.
  func report(_ error: ScriptError) {
    var text = "ashby-lua: \(error.message)\n"
    let frames = error.traceback.split(separator: "\n").filter { !$0.contains("[C]: in ?") }
    if frames.count > 1 { text += frames.joined(separator: "\n") + "\n" }
    FileHandle.standardError.write(Data(text.utf8))
  }
}
