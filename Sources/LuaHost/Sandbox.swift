import CLua
import CLuaShim
import Foundation

/// Takes away what a sandboxed script must not reach (DESIGN.md §9): no file
/// system, processes, environment, locale, `debug` (but `traceback`) or
/// bytecode. `require` finds the embedded modules (`package.preload`) and
/// `.lua` files inside the script's own folder, read by the host.
public enum Sandbox {
  /// What the sandbox takes away, each with what a script can do instead: one
  /// list for the refusals a script meets and for `schedule validate`'s scan.
  public static let removed: [(name: String, instead: String)] = {
    let files = "print and io.write still write the standard streams (a scheduled run's output is kept in its history)"
    let processes = "a sandboxed script starts no process and changes no file"
    let modules = "require finds the embedded modules and .lua files in the script's own folder"
    let debugging = "a sandboxed script has no debug access or bytecode (debug.traceback stays)"
    let io = ["open", "lines", "popen", "read", "input", "output", "close", "flush", "tmpfile", "type", "stdin"]
    let debug = [
      "debug", "gethook", "getinfo", "getlocal", "getmetatable", "getregistry", "getupvalue", "getuservalue",
      "sethook", "setlocal", "setmetatable", "setupvalue", "setuservalue", "setcstacklimit", "upvalueid", "upvaluejoin",
    ]
    return io.map { ("io.\($0)", files) }
      + ["execute", "remove", "rename", "tmpname"].map { ("os.\($0)", processes) }
      + [
        ("os.exit", "return from the script to end it, or raise an error to fail it"),
        ("os.getenv", "give the script values as arguments (a job's args), which it reads from arg and ..."),
        ("os.setlocale", "the locale is fixed in a sandboxed run"),
        ("loadfile", modules), ("dofile", modules), ("package.loadlib", modules), ("package.searchpath", modules),
        ("string.dump", debugging),
      ]
      + debug.map { ("debug.\($0)", debugging) }
  }()

  /// Why the sandbox is on, and how to lift it, for a run started by hand.
  public static let flagReason = "--sandbox was given (run without it for full access)"
  /// The same, for a run the scheduler started.
  public static let scheduledReason =
    "scheduled jobs and hooks are sandboxed (set sandbox = false for this job or hook in schedules.toml for full access)"

  /// The message a script gets when it reaches for `name`.
  static func refusal(_ name: String, instead: String, reason: String) -> String {
    "\(name) is not available in a sandboxed run: \(instead); \(reason)"
  }

  /// The lines of `source` that name a removed capability (`io.open`,
  /// `os.getenv`, `loadfile`): a plain scan, for a warning before a job runs.
  public static func mentions(in source: String) -> [(line: Int, name: String)] {
    var found: [(Int, String)] = []
    for (index, line) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let code = line.range(of: "--").map { line[..<$0.lowerBound] } ?? line[...]
      for (name, _) in removed where contains(code, word: name) { found.append((index + 1, name)) }
    }
    return found
  }

  /// Whether `word` stands in `text` with no name character or `.` joined to either side.
  private static func contains(_ text: Substring, word: String) -> Bool {
    func isNamePart(_ c: Character?) -> Bool { c.map { $0 == "_" || $0 == "." || $0.isLetter || $0.isNumber } ?? false }
    var start = text.startIndex
    while let range = text.range(of: word, range: start..<text.endIndex) {
      let before = range.lowerBound == text.startIndex ? nil : text[text.index(before: range.lowerBound)]
      let after = range.upperBound == text.endIndex ? nil : text[range.upperBound]
      if !isNamePart(before) && !(isNamePart(after) && after != ".") { return true }
      start = range.upperBound
    }
    return false
  }

  /// Plain table surgery in Lua: clearer than the same in C, and it runs once.
  /// `...` is the host's module finder (`findModule`) and the refusals: for
  /// each table (`io`, `os`, `_G`, ...), its removed keys and their messages.
  static let source = """
    local find, refusals = ...
    local load, error, format = load, error, string.format
    -- io: the standard streams, written to; no file can be named or read.
    local stdout, stderr, select, tostring = io.stdout, io.stderr, select, tostring
    local function writer(stream)
      return function(self, ...)
        for i = 1, select("#", ...) do
          local v = select(i, ...)
          if type(v) ~= "string" and type(v) ~= "number" then
            error(format("bad argument #%d to 'write' (string expected, got %s)", i, type(v)), 2)
          end
        end
        stream:write(...)
        return self
      end
    end
    io = { stdout = { write = writer(stdout) }, stderr = { write = writer(stderr) } }
    io.write = function(...) return io.stdout.write(io.stdout, ...) end
    package.loaded.io = io
    for _, name in ipairs { "execute", "exit", "remove", "rename", "getenv", "tmpname", "setlocale" } do
      os[name] = nil
    end
    loadfile, dofile = nil, nil
    package.loadlib, package.searchpath = nil, nil
    package.searchers[3], package.searchers[4] = nil, nil
    local traceback = debug.traceback
    debug = { traceback = traceback }
    package.loaded.debug = debug
    string.dump = nil
    package.path, package.cpath = "", ""  -- searched by nothing here; scripts that append to it still run
    _G.load = function(chunk, name, _, ...) return load(chunk, name, "t", ...) end
    -- What was taken away answers with why and what to do instead, rather than
    -- "attempt to call a nil value"; rawget still sees it absent.
    local tables = { io = io, os = os, package = package, string = string, debug = debug, _G = _G }
    for owner, messages in pairs(refusals) do
      setmetatable(tables[owner], { __index = function(_, key)
        local message = messages[key]
        if message then error(message, 2) end
      end })
    end
    package.searchers[2] = function(name)
      local text, where = find(name)
      if not text then return where end
      local f, err = load(text, "@" .. where, "t")
      if not f then error(format("error loading module '%s' from file '%s':\\n\\t%s", name, where, err), 2) end
      return f, where
    end
    """

  static func apply(_ L: OpaquePointer, core: VMCore) throws(LuaHostError) {
    var text = source
    let status = text.withUTF8 { buf in
      buf.withMemoryRebound(to: CChar.self) { lsh_loadbuffer(L, $0.baseAddress, $0.count, "=sandbox", "t") }
    }
    guard status == LUA_OK else { throw setupFailed(L) }
    core.pushFunction { [unowned core] stack in
      let found = findModule(stack.string(at: 1) ?? "", root: core.moduleRoot)
      switch found {
      case .found(let text, let path):
        stack.push(.bytes(text))
        stack.push(.string(path))
      case .notFound(let message):
        stack.push(.nil)
        stack.push(.string(message))
      }
      return 2
    }
    LuaStack(L).push(refusalTables(reason: core.options.sandboxReason))
    guard lsh_pcall(L, 2, 0, 0) == LUA_OK else { throw setupFailed(L) }
  }

  /// `removed` as the chunk takes it: `{ io = { open = "io.open is not ..." }, _G = { loadfile = ... } }`.
  static func refusalTables(reason: String) -> LuaValue {
    var tables: [String: [String: LuaValue]] = [:]
    for (name, instead) in removed {
      let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
      let (owner, key) = parts.count == 2 ? (parts[0], parts[1]) : ("_G", name)
      tables[owner, default: [:]][key] = .string(refusal(name, instead: instead, reason: reason))
    }
    return .object(tables.mapValues { .object($0) })
  }

  private static func setupFailed(_ L: OpaquePointer) -> LuaHostError {
    let message = LuaStack(L).string(at: -1) ?? "?"
    lsh_pop(L, 1)
    return LuaHostError(kind: .host, message: "cannot set up the sandbox: \(message)")
  }

  enum ModuleLookup {
    case found(text: [UInt8], path: String)
    /// The text `require` adds to its "module not found" message.
    case notFound(String)
  }

  /// Module files larger than this are refused (they are read whole).
  static let maxModuleBytes = 4 << 20

  /// The text of module `name` from `root`: `a.b` is `a/b.lua` or
  /// `a/b/init.lua`, a regular file inside `root`, opened in one step that
  /// cannot leave it (`lsh_open_beneath`): a folder swapped for a symlink
  /// meanwhile leads nowhere. Anything else reads as "not found", so nothing
  /// outside can be probed.
  static func findModule(_ name: String, root: ModuleFolder?) -> ModuleLookup {
    guard isModuleName(name) else {
      return .notFound("\n\tno module '\(name.prefix(80))': a module name is words joined by dots")
    }
    let notFound = "\n\tno file for '\(name)' in the script's folder (the sandbox looks nowhere else)"
    guard let root else { return .notFound("\n\tno module '\(name)' (a sandboxed script without a file has only embedded modules)") }
    let relative = name.split(separator: ".").joined(separator: "/")
    for candidate in ["\(relative).lua", "\(relative)/init.lua"] {
      let fd = lsh_open_beneath(root.fd, candidate)
      guard fd >= 0 else { continue }
      if case .success(let text) = ScriptFile.read(fd, limit: maxModuleBytes) { return .found(text: text, path: candidate) }
    }
    return .notFound(notFound)
  }

  /// Words of letters, digits, `_` and `-` joined by single dots; at most 200 bytes.
  static func isModuleName(_ name: String) -> Bool {
    let bytes = Array(name.utf8)
    guard !bytes.isEmpty, bytes.count <= 200 else { return false }
    var atStart = true
    for c in bytes {
      if c == UInt8(ascii: ".") {
        if atStart { return false }
        atStart = true
        continue
      }
      let word =
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == UInt8(ascii: "_")
        || (c == UInt8(ascii: "-") && !atStart)
      if !word { return false }
      atStart = false
    }
    return !atStart
  }
}

/// The folder of a sandboxed script, held open: `require` resolves its
/// modules from this descriptor, so renaming or swapping the path later
/// changes nothing.
public final class ModuleFolder: Sendable {
  let fd: Int32

  /// The folder of the script at `path` (symlinks resolved); nil when it cannot be opened.
  init?(script path: [CChar]) {
    guard let real = realpath(path, nil) else { return nil }
    defer { free(real) }
    let folder = (String(cString: real) as NSString).deletingLastPathComponent
    fd = lsh_open_folder(folder.isEmpty ? "/" : folder)
    guard fd >= 0 else { return nil }
  }

  deinit { close(fd) }
}
