import Foundation

/// `ashby-lua mcp`'s `run_script` round trip for an empty script (a sandboxed child
/// run as a dry run, its plan looked for, the answer framed) vs `ashby-lua run` of
/// the same script spawned directly: what the server adds to a child's run.
enum MCPBench {
  static func run(quick: Bool) throws -> [Row] {
    // A p99 of 20 calls is their slowest, one hiccup of the machine's; of 100 it is the second slowest.
    let calls = quick ? 100 : 200
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ashby-bench-mcp-\(getpid())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let empty = folder.appendingPathComponent("empty.lua").path
    try "".write(toFile: empty, atomically: true, encoding: .utf8)

    let server = Process()
    server.executableURL = URL(fileURLWithPath: ProcessBench.ashbyLua)
    server.arguments = ["mcp", "--fake", "--state", folder.appendingPathComponent("state.sqlite").path]
    let input = Pipe(), output = Pipe()
    server.standardInput = input
    server.standardOutput = output
    server.standardError = FileHandle.nullDevice
    try server.run()
    defer { server.terminate() }
    var buffer = Data()
    func send(_ message: String) { input.fileHandleForWriting.write(Data((message + "\n").utf8)) }
    /// The next line the server writes (its answers are one JSON object per line).
    func line() throws -> String {
      while true {
        if let end = buffer.firstIndex(of: UInt8(ascii: "\n")) {
          let text = String(decoding: buffer[..<end], as: UTF8.self)
          buffer.removeSubrange(...end)
          return text
        }
        let chunk = output.fileHandleForReading.availableData
        guard !chunk.isEmpty else { throw BenchError("ashby-lua mcp closed its output") }
        buffer.append(chunk)
      }
    }
    send(#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}"#)
    _ = try line()
    send(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
    /// One `run_script` call's round trip, in seconds.
    func viaServer(_ id: Int) throws -> Double {
      let started = ContinuousClock.now
      send(#"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"run_script","arguments":{"code":""}}}"#)
      var answer = try line()
      while !answer.contains(#""id":\#(id)"#) { answer = try line() }
      guard answer.contains(#""isError":false"#) else { throw BenchError("run_script failed: \(answer.prefix(300))") }
      return (ContinuousClock.now - started) / .seconds(1)
    }
    func directly() throws -> Double {
      let exit = try ProcessBench.spawn(ProcessBench.ashbyLua, ["run", "--sandbox", empty])
      guard exit.status == 0 else { throw BenchError("ashby-lua run exited \(exit.status)") }
      return exit.seconds
    }
    // Warmed up, then interleaved: a busy moment of the machine weighs on both sides alike.
    for id in 1...3 { _ = (try directly(), try viaServer(id)) }
    var direct: [Double] = [], viaMCP: [Double] = []
    for id in 4..<(4 + calls) {
      direct.append(try directly())
      viaMCP.append(try viaServer(id))
    }
    func percentile(_ values: [Double], _ p: Double) -> Double {
      let sorted = values.sorted()
      return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
    }
    let rows = [(0.5, "p50"), (0.99, "p99")].map { p, name -> Row in
      let ours = percentile(viaMCP, p), base = percentile(direct, p)
      return Row(
        name: "mcp: run_script round trip of an empty script, \(name) (\(calls) calls)",
        ours: String(format: "%.1f ms", ours * 1000), baseline: String(format: "%.1f ms (ashby-lua run)", base * 1000),
        ratio: ours / base, target: "≤ 1.30×", met: ours / base <= 1.3)
    }
    return rows
  }
}
