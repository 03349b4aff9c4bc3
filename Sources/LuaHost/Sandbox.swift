import CLua
import CLuaShim
import Foundation

/// Takes away what a sandboxed script must not reach (DESIGN.md §9): no file
/// system, processes, environment, locale, `debug` (but `traceback`) or
/// bytecode. `require` finds the embedded modules (`package.preload`) and
/// `.lua` files inside the script's own folder, read by the host.
enum Sandbox {
  /// Plain table surgery in Lua: clearer than the same in C, and it runs once.
  /// `...` is the host's module finder (`findModule`).
  static let source = """
    local find = ...
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
    package.path, package.cpath = "", ""
    package.searchers[3], package.searchers[4] = nil, nil
    local traceback = debug.traceback
    debug = { traceback = traceback }
    package.loaded.debug = debug
    string.dump = nil
    _G.load = function(chunk, name, _, ...) return load(chunk, name, "t", ...) end
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
    guard lsh_pcall(L, 1, 0, 0) == LUA_OK else { throw setupFailed(L) }
  }

  private static func setupFailed(_ L: OpaquePointer) -> LuaHostError {
    let message = LuaStack(L).string(at: -1) ?? "?"
    lsh_pop(L, 1)
    return LuaHostError(kind: .host, message: "cannot set up the sandbox: \(message)")
  }

  /// The resolved folder of a script, where its modules may live.
  static func folder(of path: String) -> String? {
    guard let real = realpath(path, nil) else { return nil }
    defer { free(real) }
    return (String(cString: real) as NSString).deletingLastPathComponent
  }

  enum ModuleLookup {
    case found(text: [UInt8], path: String)
    /// The text `require` adds to its "module not found" message.
    case notFound(String)
  }

  /// Module files larger than this are refused (they are read whole).
  static let maxModuleBytes = 4 << 20

  /// The text of module `name` from `root`: `a.b` is `a/b.lua` or
  /// `a/b/init.lua`, symlinks resolved, a regular file inside `root`.
  /// Anything else reads as "not found", so nothing outside can be probed.
  static func findModule(_ name: String, root: String?) -> ModuleLookup {
    guard isModuleName(name) else {
      return .notFound("\n\tno module '\(name.prefix(80))': a module name is words joined by dots")
    }
    let notFound = "\n\tno file for '\(name)' in the script's folder (the sandbox looks nowhere else)"
    guard let root else { return .notFound("\n\tno module '\(name)' (a sandboxed script without a file has only embedded modules)") }
    let relative = name.split(separator: ".").joined(separator: "/")
    for candidate in ["\(relative).lua", "\(relative)/init.lua"] {
      guard let real = realpath("\(root)/\(candidate)", nil) else { continue }
      let resolved = String(cString: real)
      free(real)
      guard resolved.hasPrefix(root == "/" ? "/" : root + "/") else { continue }
      if let text = readRegularFile(resolved) { return .found(text: text, path: candidate) }
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

  /// Reads a regular file (no symlink at the last step) of at most `maxModuleBytes`.
  private static func readRegularFile(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size <= maxModuleBytes else {
      return nil
    }
    var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
    var filled = 0
    while filled < bytes.count {
      let n = bytes.withUnsafeMutableBytes { buffer in
        buffer.baseAddress.map { read(fd, $0 + filled, buffer.count - filled) } ?? 0
      }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { break }
      filled += n
    }
    return Array(bytes.prefix(filled))
  }
}
