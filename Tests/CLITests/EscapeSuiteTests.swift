import AshbyFake
import AshbyTestSupport
import Foundation
import Testing

/// Attempts to get out of `--sandbox` (DESIGN.md §9), each in its own process:
/// a secret file beside the script's folder (and a symlink to it inside), the
/// API key in the environment. An attempt has failed when nothing it printed
/// holds the file's text or the key, it did not say `ESCAPED` (what a snippet
/// returns when it reached something it must not), the secret file is still
/// there, and the host ran the next line and exited normally.
@Suite(.teardown) struct EscapeSuiteTests {
  struct Attempt: CustomTestStringConvertible, Sendable {
    let name: String
    /// The body of a function(SECRET, BYTECODE); it may return what it got.
    let lua: String
    var testDescription: String { name }
  }

  static let attempts: [Attempt] = [
    // Files
    Attempt(name: "io.open", lua: "return io.open(SECRET):read('a')"),
    Attempt(name: "io.lines", lua: "return io.lines(SECRET)()"),
    Attempt(name: "io.popen", lua: "return io.popen('cat ' .. SECRET):read('a')"),
    Attempt(name: "io.input", lua: "io.input(SECRET) return io.read('a')"),
    Attempt(name: "a stream's metatable", lua: "return getmetatable(io.stdout).__index.read"),
    Attempt(name: "reopening stderr", lua: "return io.stderr.read or io.stderr.lines or io.stderr.close"),
    Attempt(name: "dofile", lua: "return dofile(SECRET)"),
    Attempt(name: "loadfile", lua: "return loadfile(SECRET)"),
    Attempt(name: "require through a symlink", lua: "return require('link')"),
    Attempt(name: "require through a symlink in a subfolder", lua: "return require('sub.link')"),
    Attempt(name: "require with ..", lua: "return require('../outside/secret')"),
    Attempt(name: "require an absolute path", lua: "return require(SECRET)"),
    Attempt(name: "require with a widened package.path", lua: "package.path = SECRET:gsub('secret.txt$', '?.txt') return require('secret')"),
    Attempt(name: "package.searchpath", lua: "return package.searchpath('secret', SECRET:gsub('secret.txt$', '?.txt'))"),
    Attempt(name: "a searcher of one's own", lua: "table.insert(package.searchers, function(n) return loadfile(n) end) return require(SECRET)"),
    Attempt(name: "a module that is a folder", lua: "return require('folder')"),
    Attempt(name: "a module that is bytecode", lua: "return require('bytes')"),
    // Round two: a module opened in one step beneath the folder (openat2), as a regular file.
    Attempt(name: "a module that is a FIFO", lua: "return require('fifo')"),
    Attempt(name: "require through a magic link (/proc/self/root)", lua: "return require('magic')"),
    Attempt(name: "require through a folder symlinked out", lua: "return require('outdir.mod')"),
    // Processes and C code
    Attempt(name: "os.execute", lua: "return os.execute('cat ' .. SECRET)"),
    Attempt(name: "os.exit", lua: "os.exit(42)"),
    Attempt(name: "package.loadlib", lua: "return package.loadlib('libc.so.6', 'system')"),
    Attempt(name: "a C module through package.cpath", lua: "package.cpath = '/usr/lib/x86_64-linux-gnu/lib?.so.6' return require('c')"),
    Attempt(name: "os.remove", lua: "return os.remove(SECRET)"),
    Attempt(name: "os.rename", lua: "return os.rename(SECRET, SECRET .. '.moved')"),
    Attempt(name: "os.tmpname", lua: "return os.tmpname()"),
    // The environment and the key
    Attempt(name: "os.getenv", lua: "return os.getenv('ASHBY_API_KEY')"),
    Attempt(name: "the key anywhere in Lua's values", lua: Self.keyWalk),
    Attempt(name: "the prelude's private table", lua: "if ashby_private then return 'ESCAPED' end"),
    Attempt(name: "an embedded module that is not public", lua: "return require('ashby.prelude')"),
    // Bytecode and the debug library
    Attempt(name: "load bytecode", lua: "return load(BYTECODE)()"),
    Attempt(name: "load bytecode, mode b", lua: "return load(BYTECODE, 'x', 'b')()"),
    Attempt(name: "string.dump", lua: "return string.dump(print)"),
    Attempt(name: "string.dump through the string metatable", lua: "if getmetatable('').__index.dump then return 'ESCAPED' end"),
    Attempt(name: "debug.getregistry", lua: "return debug.getregistry()"),
    Attempt(name: "debug.getupvalue of a host function", lua: "return debug.getupvalue(ashby.pages, 1)"),
    Attempt(name: "debug.getinfo", lua: "return debug.getinfo(1)"),
    Attempt(name: "debug.sethook", lua: "return debug.sethook(function() end, 'l')"),
    Attempt(name: "debug.getmetatable", lua: "return debug.getmetatable('')"),
    Attempt(name: "package.loaded.debug", lua: "if package.loaded.debug.getinfo then return 'ESCAPED' end"),
    // The locale
    Attempt(name: "os.setlocale", lua: "return os.setlocale('de_DE.UTF-8')"),
    // Host values and their metatables
    Attempt(name: "the error metatable", lua: "local _, e = pcall(ashby.get_job, 'x') if type(getmetatable(e)) == 'table' then return 'ESCAPED' end"),
    Attempt(name: "replacing the error metatable", lua: "local _, e = pcall(ashby.get_job, 'x') setmetatable(e, { __index = function() return 'ESCAPED' end }) return e.anything"),
    Attempt(name: "a task handle's metatable", lua: "local h = ashby.spawn(function() end) local mt = getmetatable(h) mt.__index = function() return 'ESCAPED' end return mt"),
    Attempt(name: "resuming the host's thread", lua: "return coroutine.resume(coroutine.running())"),
    Attempt(name: "closing the host's thread", lua: "return coroutine.close(coroutine.running())"),
    Attempt(name: "yielding to the host", lua: "return coroutine.yield('ESCAPED')"),
    // URLs and endpoints
    Attempt(name: "an endpoint with a path", lua: "return ashby.call('../../etc/passwd', {})"),
    Attempt(name: "an endpoint with a query", lua: "return ashby.call('candidate.info?x=1', {})"),
    Attempt(name: "an endpoint of 100 KB", lua: "return ashby.call(('a'):rep(100000) .. '.info', {})"),
    Attempt(name: "an endpoint climbing out", lua: "return ashby.call('candidate.info/../../apiKey.info', {})"),
    Attempt(name: "a resume from a file URL", lua: "return ashby.create_candidate{ first_name = 'a', last_name = 'b', email = 'a@example.com', resume_url = 'file://' .. SECRET }"),
    Attempt(name: "a base URL of one's own", lua: "ASHBY_BASE_URL = 'http://127.0.0.1:1' return ashby.call('apiKey.info', {})"),
  ]

  /// Walks every value reachable from the globals for the key's prefix.
  static let keyWalk = """
    local seen = {}
    local function walk(v)
      if type(v) == 'string' then return v:find('sk-escape-', 1, true) ~= nil end
      if type(v) ~= 'table' or seen[v] then return false end
      seen[v] = true
      for k, x in next, v do if walk(k) or walk(x) then return true end end
      local mt = getmetatable(v)
      return type(mt) == 'table' and walk(mt)
    end
    if walk(_G) or walk(package.loaded) then return 'ESCAPED' end
    """

  /// A script folder with a symlink out, a folder named like a module, a
  /// bytecode module, and a harmless module; the secret file outside it.
  struct Box {
    let root: URL
    let folder: URL
    let secretFile: URL
    let secretText: String
    let key = "sk-escape-\(UUID().uuidString)"

    init(bytecode: [UInt8]) throws {
      root = try scratch()
      folder = root.appendingPathComponent("box")
      let outside = root.appendingPathComponent("outside")
      let fm = FileManager.default
      for dir in [folder, outside, folder.appendingPathComponent("sub"), folder.appendingPathComponent("folder.lua")] {
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
      }
      secretFile = outside.appendingPathComponent("secret.txt")
      secretText = "TOPSECRET-\(UUID().uuidString)"
      try "return '\(secretText)'".write(to: secretFile, atomically: true, encoding: .utf8)
      try fm.createSymbolicLink(at: folder.appendingPathComponent("link.lua"), withDestinationURL: secretFile)
      try fm.createSymbolicLink(at: folder.appendingPathComponent("sub/link.lua"), withDestinationURL: secretFile)
      try Data(bytecode).write(to: folder.appendingPathComponent("bytes.lua"))
      try "return 'fine'".write(to: folder.appendingPathComponent("friend.lua"), atomically: true, encoding: .utf8)
      try "return '\(secretText)'".write(to: outside.appendingPathComponent("mod.lua"), atomically: true, encoding: .utf8)
      try fm.createSymbolicLink(at: folder.appendingPathComponent("outdir"), withDestinationURL: outside)
      try fm.createSymbolicLink(
        atPath: folder.appendingPathComponent("magic.lua").path, withDestinationPath: "/proc/self/root" + secretFile.path)
      #expect(mkfifo(folder.appendingPathComponent("fifo.lua").path, 0o644) == 0)
    }

    func script(_ body: String) throws -> String {
      let harness = """
        local SECRET, hex = ...
        local BYTECODE = hex:gsub('..', function(h) return string.char(tonumber(h, 16)) end)
        local results = table.pack(pcall(function() \(body)
        end))
        for i = 1, results.n do print('result', i, tostring(results[i])) end
        print('host-alive', 1 + 1, require('friend'), type(require('ashby.util')))
        """
      let path = folder.appendingPathComponent("attempt.lua")
      try harness.write(to: path, atomically: true, encoding: .utf8)
      return path.path
    }
  }

  /// Bytecode that returns the text `ESCAPED`, made by a plain run.
  static func bytecode() async throws -> [UInt8] {
    let r = try await run(["run", "-e", "io.write((string.dump(function() return 'ESCAPED' end):gsub('.', function(c) return ('%02x'):format(c:byte()) end)))"])
    var bytes: [UInt8] = []
    var hex = Substring(r.stdout)
    while hex.count >= 2, let b = UInt8(hex.prefix(2), radix: 16) {
      bytes.append(b)
      hex = hex.dropFirst(2)
    }
    #expect(bytes.count > 10)
    return bytes
  }

  @Test(arguments: attempts)
  func theSandboxHolds(_ attempt: Attempt) async throws {
    let code = try await Self.bytecode()
    let box = try Box(bytecode: code)
    let hex = code.map { String(format: "%02x", $0) }.joined()
    let r = try await run(
      ["run", "--fake", "--sandbox", try box.script(attempt.lua), box.secretFile.path, hex],
      env: ["ASHBY_API_KEY": box.key], cwd: box.folder, timeout: 30)
    let name = attempt.name
    #expect(!r.all.contains(box.secretText), "\(name): the secret file's text got out\n\(r.all)")
    #expect(!r.all.contains(box.key) && !r.all.contains("sk-escape-"), "\(name): the key got out\n\(r.all)")
    #expect(!r.all.contains("ESCAPED"), "\(name): \(r.all)")
    #expect(r.stdout.contains("host-alive\t2\tfine\ttable"), "\(name): the host did not go on\n\(r.all)")
    #expect(r.status == 0, "\(name): exit \(r.status)\n\(r.all)")
    #expect(FileManager.default.fileExists(atPath: box.secretFile.path), "\(name): the secret file is gone")
  }

  @Test func modulesInTheScriptsFolderStillLoad() async throws {
    let box = try Box(bytecode: [])
    let r = try await run(["run", "--sandbox", try box.script("return require('friend')"), "x", ""], cwd: box.root)
    #expect(r.stdout.contains("result\t2\tfine"), "\(r.all)")
  }
}

/// Outside the sandbox too, the key is not in anything the process can read of itself.
@Suite(.teardown) struct KeyOutOfReachTests {
  @Test func aPlainRunsEnvironmentAndCommandLineHoldNoKey() async throws {
    let key = "sk-plain-\(UUID().uuidString)"
    let source = """
      local found = {}
      for _, f in ipairs { '/proc/self/environ', '/proc/self/cmdline', '/proc/' .. io.open('/proc/self/stat'):read('n') .. '/environ' } do
        local text = assert(io.open(f, 'rb')):read('a')
        found[#found + 1] = text:find('sk-plain-', 1, true) and 'KEY-FOUND' or 'clean'
      end
      print(table.concat(found, ' '), os.getenv('ASHBY_API_KEY'))
      """
    let r = try await run(["run", "--fake", try script(source)], env: ["ASHBY_API_KEY": key])
    #expect(r.stdout == "clean clean clean\tnil\n", "\(r.all)")
  }

  /// What another process of the same user sees of a running script, and of
  /// a scheduled run's child: neither environment holds the key.
  @Test func aRunningScriptAndAScheduledChildShowNoKeyInProc() async throws {
    let key = "sk-proc-\(UUID().uuidString)"
    let home = try scratch()
    let work = home.appendingPathComponent("work")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    try "ashby.sleep(60)".write(to: work.appendingPathComponent("nap.lua"), atomically: true, encoding: .utf8)
    try """
      [[job]]
      name = "nap"
      script = "nap.lua"
      cron = "@hourly"
      """.write(to: work.appendingPathComponent("schedules.toml"), atomically: true, encoding: .utf8)
    for args in [["run", "--fake", "-e", "ashby.sleep(60)"], ["schedule", "trigger", "nap", "--fake", "--file", work.appendingPathComponent("schedules.toml").path]] {
      let (process, _) = try launch(args, home: home, log: "\(args[0]).log", environment: ["ASHBY_API_KEY": key])
      // Wait until the script runs (a loaded machine is slow to start processes): its pid, and for
      // `schedule trigger` the child's, whose own child-free start has taken the key out.
      var pids: [Int32] = []
      for _ in 0..<200 where process.isRunning {
        try await Task.sleep(for: .milliseconds(100))
        let children = childrenOf(process.processIdentifier)
        if args[0] == "run" || !children.isEmpty {
          try await Task.sleep(for: .seconds(1))
          pids = [process.processIdentifier] + childrenOf(process.processIdentifier)
          break
        }
      }
      #expect(process.isRunning, "`\(args[0])` ended early")
      if args[0] == "schedule" { #expect(pids.count >= 2, "the scheduled child was not found") }
      for pid in pids {
        for file in ["environ", "cmdline"] {
          let text = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/\(file)"))) ?? Data()
          if pid == process.processIdentifier && file == "environ" {
            #expect(!text.isEmpty, "/proc/\(pid)/environ could not be read")
          }
          #expect(text.range(of: Data("sk-proc-".utf8)) == nil, "/proc/\(pid)/\(file) of `\(args[0])` holds the key")
        }
      }
      kill(process.processIdentifier, SIGKILL)
      for pid in pids.dropFirst() { kill(pid, SIGKILL) }
      try await exited(process)
    }
  }

  /// Pids whose parent is `pid`.
  func childrenOf(_ pid: Int32) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { child in
      guard let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
      else { return false }
      let fields = stat[stat.index(after: close)...].split(separator: " ")
      return fields.count > 2 && Int32(fields[1]) == pid
    }
  }

  /// `os.setlocale` changes how Lua itself writes numbers, and nothing of the host's.
  @Test func numbersTheHostWritesAndReadsIgnoreTheLocale() async throws {
    let locales = try scratch()
    let make = Process()
    make.executableURL = URL(fileURLWithPath: "/usr/bin/localedef")
    make.arguments = ["-i", "de_DE", "-f", "UTF-8", locales.appendingPathComponent("de_DE.UTF-8").path]
    make.standardError = FileHandle.nullDevice
    try make.run()
    make.waitUntilExit()
    let f = try await FakeFixture.start()
    onTeardown { await f.fake.stop() }
    let source = """
      assert(os.setlocale('de_DE.UTF-8'), 'the de_DE locale is not installed')
      print(tostring(1.5), ashby.json.encode({ 1.5, 0.1, 2.5e-7 }), ashby.json.decode('[1.5, 1e2]')[1] + 1)
      ashby.call('candidate.search', { email = 'nobody@example.com', score = 1.5 }, { unchecked = true })
      """
    var env = f.env
    env["LOCPATH"] = locales.path
    let r = try await run(["run", try script(source)], env: env)
    #expect(r.stdout == "1,5\t[1.5,0.1,2.5e-07]\t2,5\n", "\(r.all)")
    #expect(f.fake.requests(to: "candidate.search").first?.body.contains("\"score\":1.5") == true)
  }

  /// A child the script starts sees no key in its environment; the child is
  /// seen to have run (it prints a mark and the variable it was given) so that
  /// a child that never started does not pass for one that saw nothing.
  @Test func aChildProcessGetsNoKey() async throws {
    let key = "sk-child-\(UUID().uuidString)"
    let r = try await run(
      ["run", "-e", "os.execute('echo child-ran:$CHILD_MARK; cat /proc/self/environ; env')"],
      env: ["ASHBY_API_KEY": key, "CHILD_MARK": "present"])
    #expect(r.status == 0, "\(r.all)")
    #expect(r.stdout.contains("child-ran:present"), "the child did not run: \(r.all)")
    #expect(r.stdout.contains("CHILD_MARK=present"), "the child's environment was not printed: \(r.all)")
    #expect(!r.all.contains("sk-child-"), "\(r.all)")
  }
}
