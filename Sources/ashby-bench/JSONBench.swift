import Foundation
import LuaHost

/// JSON decode/encode throughput of a 10+ MB `job.list` page vs lua-cjson under lua5.4.
enum JSONBench {
  static func run() async throws -> [Row] {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("ashby-bench-jobs.json").path
    let document = AshbyShapedDocument.jobList(jobs: 6000)
    try Data(document.utf8).write(to: URL(fileURLWithPath: path))
    let megabytes = Double(document.utf8.count) / 1e6

    let timing = """
      local clock = os.clock
      local f = assert(io.open(%PATH%, "rb")); local s = f:read("a"); f:close()
      local function best(fn) local m = math.huge for _ = 1, 5 do local t = clock(); fn(); m = math.min(m, clock() - t) end return m end
      local doc
      local dec = best(function() doc = json.decode(s) end)
      local enc = best(function() json.encode(doc) end)
      assert(#doc.results == 6000)
      return dec, enc
      """.replacingOccurrences(of: "%PATH%", with: "'\(path)'")

    let vm = try LuaVM()
    try await vm.perform { ctx in ctx.installJSON(at: "json") }
    let cjsonScript =
      "local json = require('cjson')\n" + timing.replacingOccurrences(of: "return dec, enc", with: "print(dec, enc)")
    // Alternate the two sides over three rounds so both meet the same machine; keep each side's best.
    var ours = [Double.infinity, Double.infinity]
    var cjson = [Double.infinity, Double.infinity]
    for _ in 0..<3 {
      let c = try runCJSON(cjsonScript)
      let o = try await vm.perform { ctx in try ctx.run(timing).compactMap(\.doubleValue) }
      guard o.count == 2, c.count == 2 else { throw BenchError("missing timings: \(o) \(c)") }
      ours = [min(ours[0], o[0]), min(ours[1], o[1])]
      cjson = [min(cjson[0], c[0]), min(cjson[1], c[1])]
    }
    let size = String(format: "%.1f MB", megabytes)
    let decode = (megabytes / ours[0]) / (megabytes / cjson[0])
    let encode = (megabytes / ours[1]) / (megabytes / cjson[1])
    return [
      Row(
        name: "JSON decode, \(size) job.list (MB/s)", ours: String(format: "%.0f MB/s", megabytes / ours[0]),
        baseline: String(format: "%.0f MB/s (lua-cjson)", megabytes / cjson[0]), ratio: decode, target: "≥ 1.20×",
        met: decode >= 1.2),
      Row(
        name: "JSON encode, \(size) job.list (MB/s)", ours: String(format: "%.0f MB/s", megabytes / ours[1]),
        baseline: String(format: "%.0f MB/s (lua-cjson)", megabytes / cjson[1]), ratio: encode, target: "≥ 1.00×",
        met: encode >= 1.0),
    ]
  }

  static func runCJSON(_ script: String) throws -> [Double] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["lua5.4", "-e", script]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw BenchError("lua5.4 with lua-cjson failed (apt-get install lua5.4 lua-cjson)")
    }
    return String(decoding: output, as: UTF8.self).split(whereSeparator: { $0 == "\t" || $0 == "\n" }).compactMap {
      Double($0)
    }
  }
}

struct BenchError: Error, CustomStringConvertible {
  let description: String
  init(_ d: String) { description = d }
}
