import AshbyTestSupport
import Foundation
import Testing

/// Ways to run forever or allocate without bound (DESIGN.md §9): each must end
/// within twice its limit plus a second, with the limit's message and exit
/// status, by a signal never; and a double Ctrl-C must end each of the
/// endless ones. Real processes: the watchdog may end the whole process.
@Suite(.serialized, .teardown) struct LimitSuiteTests {
  struct Case: CustomTestStringConvertible, Sendable {
    let name: String
    let source: String
    /// Needs the fake Ashby.
    var fake = false
    /// A module file next to the script: (name, source).
    var module: (String, String)?
    /// What stderr must say; the limit's message by default.
    var message = "limit: time limit of 2 s exceeded"
    var testDescription: String { name }
  }

  static let spin = "while true do end"
  /// The first thing each script writes (to stderr): times count from it.
  static let marker = "limit-suite-started"

  static let endless: [Case] = [
    Case(name: "plain loop", source: spin),
    Case(name: "pcall swallowing the limit", source: "while true do pcall(function() \(spin) end) end"),
    Case(name: "pcall(error) in a loop", source: "while true do pcall(error, 'again') end"),
    Case(name: "xpcall handler that loops", source: "xpcall(function() \(spin) end, function() \(spin) end)"),
    Case(name: "xpcall handler looping after a plain error", source: "xpcall(error, function() \(spin) end)"),
    Case(
      name: "xpcall in a loop with a swallowing handler",
      source: "while true do xpcall(function() \(spin) end, function(e) return e end) end"),
    Case(
      name: "__gc finalizer that loops",
      source: "setmetatable({}, { __gc = function() \(spin) end }) collectgarbage() \(spin)"),
    Case(
      name: "__gc finalizer looping on garbage made in a loop",
      source: "while true do setmetatable({}, { __gc = function() \(spin) end }) end"),
    Case(
      name: "pending <close> that loops",
      source: "local x <close> = setmetatable({}, { __close = function() \(spin) end }) \(spin)"),
    Case(
      name: "<close> that loops on a normal exit",
      source: "do local x <close> = setmetatable({}, { __close = function() \(spin) end }) end"),
    Case(
      name: "error table whose __tostring loops",
      source: "error(setmetatable({}, { __tostring = function() \(spin) end }))",
      message: "(error object is a table value)"),
    Case(
      name: "error table whose __index and __tostring loop",
      source:
        "error(setmetatable({}, { __index = function() \(spin) end, __tostring = function() \(spin) end, __name = 'x' }))",
      message: "(error object is a table value)"),
    Case(name: "string.find with a pathological pattern", source: "string.find(('a'):rep(40), ('a*'):rep(40) .. 'b')"),
    Case(name: "string.match with a pathological pattern", source: "string.match(('a'):rep(40), ('a*'):rep(40) .. 'b')"),
    Case(
      name: "string.gsub with a pathological pattern", source: "string.gsub(('a'):rep(40), ('a*'):rep(40) .. 'b', '')"),
    Case(
      name: "string.gmatch with a pathological pattern",
      source: "for _ in string.gmatch(('a'):rep(40), ('a*'):rep(40) .. 'b') do end"),
    Case(name: "table.sort comparator that loops", source: "table.sort({3, 2, 1}, function() \(spin) end)"),
    Case(name: "coroutine.wrap that loops", source: "coroutine.wrap(function() \(spin) end)()"),
    Case(
      name: "nested coroutines swallowing errors",
      source: "coroutine.wrap(function() while true do pcall(coroutine.wrap(function() \(spin) end)) end end)()"),
    Case(name: "a spawned child that loops", source: "ashby.spawn(function() \(spin) end) ashby.sleep(100)", fake: true),
    Case(name: "waiting on a child that sleeps", source: "ashby.wait(ashby.spawn(ashby.sleep, 1e6))", fake: true),
    Case(name: "ashby.map whose function loops", source: "ashby.map({1, 2, 3}, function() \(spin) end)", fake: true),
    Case(
      name: "host wait inside a table.sort comparator",
      source: "table.sort({1, 2, 3}, function(a, b) ashby.sleep(100) return a < b end)", fake: true),
    Case(
      name: "host wait inside a gsub callback", source: "string.gsub('abc', '.', function() ashby.sleep(100) end)",
      fake: true),
    Case(name: "a required module that loops", source: "require('spinner')", module: ("spinner", spin)),
    Case(name: "a loaded chunk that loops", source: "load('\(spin)')()"),
    Case(name: "endless tail calls under pcall", source: "local function f() return f() end while true do pcall(f) end"),
    Case(name: "collectgarbage in a loop", source: "while true do collectgarbage() end"),
    Case(name: "a for iterator that loops", source: "for _ in function() \(spin) end do end"),
    Case(name: "a blocking C call (opening a FIFO nobody writes)", source: "io.open(FIFO, 'r')"),
    Case(
      name: "__close that loops inside a coroutine closed at exit",
      source:
        "local co = coroutine.create(function() local x <close> = setmetatable({}, { __close = function() \(spin) end }) coroutine.yield() end) coroutine.resume(co) \(spin)"
    ),
  ]

  static let unbounded: [Case] = [
    Case(name: "a table that grows", source: "local t = {} for i = 1, 1e9 do t[i] = i end"),
    Case(name: "one huge string", source: "local s = string.rep('x', 1e9)"),
    Case(name: "a string that doubles", source: "local s = 'x' while true do s = s .. s end"),
    Case(name: "a list of strings that grows", source: "local t = {} for i = 1, 1e8 do t[i] = 'abcdefgh' .. i end"),
    Case(name: "coroutines by the million", source: "local t = {} for i = 1, 1e8 do t[i] = coroutine.create(print) end"),
    Case(
      name: "json.encode of shared sub-tables",
      source: "local t = {} for i = 1, 30 do t = { t, t } end ashby.json.encode(t)"),
    Case(
      name: "shared sub-tables passed to the host",
      source: "local t = { 'x' } for i = 1, 30 do t = { t, t } end ashby.call('job.list', { deep = t })", fake: true,
      message: "table too large for the host"),
    Case(
      name: "a finalizer that allocates while the host works",
      source: """
        local peak = 0
        for i = 1, 6 do
          setmetatable({}, { __gc = function() local t = {} for j = 1, 1e7 do t[j] = j end end })
          local jobs = ashby.list_jobs{}.jobs
          peak = math.max(peak, collectgarbage('count'))
        end
        error('peak ' .. peak)
        """, fake: true, message: "peak "),
  ]

  @Test(arguments: endless)
  func endlessRunsEndAtTheTimeLimit(_ c: Case) async throws {
    let (args, env) = try await Self.prepare(c)
    let r = try await run(
      ["run", "--timeout", "2"] + args, env: env, cwd: Self.folder(args), marker: Self.marker, timeout: 60)
    #expect(r.status == 1, "\(c.name): exit \(r.status)\n\(r.stderr)")
    #expect(r.stderr.contains(c.message), "\(c.name): \(r.stderr)")
    // From the script's first line: the limit counts from there (a 2-core CI may take seconds to start a process).
    let seconds = try #require(r.secondsFromMarker, "\(c.name): never started\n\(r.all)")
    #expect(seconds < 2 * 3 + 2, "\(c.name): took \(seconds) s")  // a 2 s limit, with room for a loaded 2-core machine
    #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("crashed"), "\(c.name): \(r.stderr)")
  }

  @Test(arguments: endless.filter { !$0.message.hasPrefix("(error object") })
  func aSecondCtrlCEndsEveryEndlessRun(_ c: Case) async throws {
    let (args, env) = try await Self.prepare(c)
    let r = try await run(
      ["run"] + args, env: env, cwd: Self.folder(args), interrupts: [0.6, 1.2], marker: Self.marker, timeout: 60)
    #expect(r.status == 130, "\(c.name): exit \(r.status)\n\(r.stderr)")
    #expect(r.stderr.contains("interrupted"), "\(c.name): \(r.stderr)")
    let seconds = try #require(r.secondsFromMarker, "\(c.name): never started\n\(r.all)")
    #expect(seconds < 4, "\(c.name): took \(seconds) s")
  }

  @Test(arguments: unbounded)
  func unboundedAllocationsEndAtTheMemoryLimit(_ c: Case) async throws {
    let (args, env) = try await Self.prepare(c)
    let r = try await run(
      ["run", "--max-memory", "64", "--timeout", "60"] + args, env: env, cwd: Self.folder(args), marker: Self.marker,
      timeout: 150)
    #expect(r.status == 1, "\(c.name): exit \(r.status)\n\(r.stderr)")
    let expected = c.message.hasPrefix("limit: time") ? "limit: memory limit of 64 MB exceeded" : c.message
    #expect(r.stderr.contains(expected), "\(c.name): \(r.stderr)")
    let seconds = try #require(r.secondsFromMarker, "\(c.name): never started\n\(r.all)")
    #expect(seconds < 2 * 60 + 1, "\(c.name): took \(seconds) s")
    if let peak = r.stderr.firstMatch(of: /peak ([0-9.]+)/).flatMap({ Double($0.1) }) {
      #expect(peak < 64 * 1024, "\(c.name): Lua held \(peak) KB")
    }
  }

  /// The script's folder: `require` (outside the sandbox) looks in the current one.
  static func folder(_ args: [String]) -> URL { URL(fileURLWithPath: args[0]).deletingLastPathComponent() }

  /// The script's arguments and environment, and the fake that must outlive the run.
  static func prepare(_ c: Case) async throws -> ([String], [String: String]) {
    var source = c.source
    if source.contains("FIFO") {
      let fifo = try scratch().appendingPathComponent("fifo").path
      #expect(mkfifo(fifo, 0o600) == 0)
      source = source.replacingOccurrences(of: "FIFO", with: "'\(fifo)'")
    }
    let path = try script("io.stderr:write('\(marker)\\n') " + source)
    if let (name, source) = c.module {
      let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
      try source.write(to: folder.appendingPathComponent("\(name).lua"), atomically: true, encoding: .utf8)
    }
    guard c.fake else { return ([path], [:]) }
    let f = try await FakeFixture.start()
    return ([path], f.env)  // stopped when the test ends (.teardown)
  }
}
