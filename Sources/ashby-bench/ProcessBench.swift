import AshbyFake
import AshbyKit
import Foundation

/// Rows that run the built `ashby-lua` as a process: cold start and peak memory.
enum ProcessBench {
  /// `ashby-lua`, beside this benchmark in the build folder.
  static var ashbyLua: String {
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("ashby-lua").path
  }

  /// `ashby-lua-server`, beside it: every server linked (the daemon, PostgreSQL, the fake, metrics, MCP).
  static var ashbyLuaServer: String {
    URL(fileURLWithPath: ashbyLua).deletingLastPathComponent().appendingPathComponent("ashby-lua-server").path
  }

  struct Exit {
    var seconds: Double
    var status: Int32
  }

  /// Runs a program to its end: wall time and exit status.
  static func spawn(_ path: String, _ args: [String], env: [String: String] = [:]) throws -> Exit {
    var environment = ProcessInfo.processInfo.environment
    for (k, v) in env { environment[k] = v }
    let argv = ([path] + args).map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      argv.forEach { free($0) }
      envp.forEach { free($0) }
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    var pid: pid_t = 0
    let started = ContinuousClock.now
    let rc = posix_spawn(&pid, path, &actions, nil, argv, envp)
    guard rc == 0 else { throw BenchError("cannot start \(path): \(String(cString: strerror(rc)))") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let elapsed = ContinuousClock.now - started
    let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return Exit(seconds: elapsed / .seconds(1), status: exitStatus)
  }

  /// Peak resident memory of a program, in MB, as GNU time reports it. Not from
  /// our own `wait4`: a child started with `posix_spawn` shares this process's
  /// memory until it execs, and Linux carries that high-water mark across exec.
  /// `time` forks from a process of a megabyte or two.
  static func peakMB(_ path: String, _ args: [String], env: [String: String] = [:]) throws -> Double {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("ashby-bench-rss-\(getpid())").path
    let exit = try spawn("/usr/bin/time", ["-f", "%M", "-o", out, path] + args, env: env)
    guard exit.status == 0 else { throw BenchError("\(path) \(args.joined(separator: " ")) exited \(exit.status)") }
    let text = try String(contentsOfFile: out, encoding: .utf8)
    guard let kb = text.split(separator: "\n").last.flatMap({ Double($0) }) else {
      throw BenchError("GNU time printed no figure: \(text)")
    }
    return kb / 1024
  }

  /// `run empty.lua` against a bare Swift+Foundation program and `lua5.4`, interleaved, medians.
  static func coldStart(quick: Bool) throws -> [Row] {
    guard let bare = ProcessInfo.processInfo.environment["ASHBY_BENCH_BARE"] else {
      throw BenchError("set ASHBY_BENCH_BARE to the baseline program (scripts/bench builds it)")
    }
    let empty = FileManager.default.temporaryDirectory.appendingPathComponent("ashby-bench-empty.lua").path
    try Data().write(to: URL(fileURLWithPath: empty))
    let lua = "/usr/bin/lua5.4"
    let rounds = quick ? 15 : 60
    var ours: [Double] = [], baseline: [Double] = [], plain: [Double] = [], server: [Double] = []
    let hasServer = FileManager.default.isExecutableFile(atPath: ashbyLuaServer)
    for _ in 0..<5 {  // page cache and dynamic loader caches warm for all three
      _ = try spawn(ashbyLua, ["run", empty])
      _ = try spawn(bare, [])
      _ = try spawn(lua, [empty])
      if hasServer { _ = try spawn(ashbyLuaServer, ["run", empty]) }
    }
    for _ in 0..<rounds {
      let o = try spawn(ashbyLua, ["run", empty])
      guard o.status == 0 else { throw BenchError("ashby-lua run empty.lua exited \(o.status)") }
      ours.append(o.seconds)
      baseline.append(try spawn(bare, []).seconds)
      plain.append(try spawn(lua, [empty]).seconds)
      if hasServer { server.append(try spawn(ashbyLuaServer, ["run", empty]).seconds) }
    }
    let (o, b, l) = (median(ours), median(baseline), median(plain))
    let peaks = try (0..<5).map { _ in try peakMB(ashbyLua, ["run", empty]) }
    let peak = median(peaks)
    let barePeak = median(try (0..<5).map { _ in try peakMB(bare, []) })
    let serverPeak = hasServer ? median(try (0..<5).map { _ in try peakMB(ashbyLuaServer, ["run", empty]) }) : 0
    var rows = [
      Row(
        name: "cold start: `ashby-lua run empty.lua` vs a bare Swift program linking Foundation (median wall, \(rounds) interleaved runs)",
        ours: String(format: "%.1f ms", o * 1000), baseline: String(format: "%.1f ms", b * 1000), ratio: o / b,
        target: "≤ 1.20×", met: o / b <= 1.2),
      Row(
        name: "cold start: the same vs `lua5.4 empty.lua`", ours: String(format: "%.1f ms", o * 1000),
        baseline: String(format: "%.1f ms", l * 1000), ratio: o / l, target: "(context)", met: nil),
      Row(
        name: "peak RSS of `ashby-lua run empty.lua` (the bare Swift program: \(String(format: "%.1f MB", barePeak)))",
        ours: String(format: "%.1f MB", peak), baseline: "20 MB", ratio: peak / 20, target: "≤ 1.00× (≤ 20 MB)",
        met: peak <= 20),
    ]
    if hasServer {
      let s = median(server)
      rows.append(
        Row(
          name: "cold start: `ashby-lua-server run empty.lua` (every server linked: what one program would cost) vs the bare program",
          ours: String(format: "%.1f ms, %.1f MB", s * 1000, serverPeak), baseline: String(format: "%.1f ms", b * 1000),
          ratio: s / b, target: "(context)", met: nil))
    }
    return rows
  }

  /// Peak RSS walking every candidate with `ashby.pages`: 10,000 vs 100,000 (the same, if flat).
  static func pagesMemory(quick: Bool) async throws -> [Row] {
    let small = 10_000, large = quick ? 30_000 : 100_000
    let script = FileManager.default.temporaryDirectory.appendingPathComponent("ashby-bench-pages.lua").path
    try """
    local n = 0
    for c in ashby.pages("candidate.list") do n = n + #c.name end
    assert(n > 0)
    """.write(toFile: script, atomically: true, encoding: .utf8)
    func peak(_ count: Int) async throws -> Double {
      var options = FakeAshby.Options()
      options.candidates = count
      let fake = try await FakeAshby.start(options)
      defer { Task { await fake.stop() } }
      let env = ["ASHBY_BASE_URL": fake.baseURL.absoluteString, "ASHBY_API_KEY": FakeAshby.fullKey]
      let mb = try peakMB(ashbyLua, ["run", script], env: env)
      guard fake.count("candidate.list") >= count / 100 else { throw BenchError("the pages script read too few pages") }
      return mb
    }
    let a = try await peak(small), b = try await peak(large)
    return [
      Row(
        name: "peak RSS iterating \(large / 1000)k candidates with ashby.pages vs \(small / 1000)k (flat)",
        ours: String(format: "%.1f MB", b), baseline: String(format: "%.1f MB", a), ratio: b / a, target: "≤ 1.10×",
        met: b / a <= 1.1)
    ]
  }
}
