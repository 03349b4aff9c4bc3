import CLua
import CLuaShim

/// Takes away what a sandboxed script must not reach. See `LuaVM.Options.sandbox`.
enum Sandbox {
  /// Plain table surgery in Lua: clearer than the same in C, and it runs once.
  static let source = """
    local load, loadfile, searchpath = load, loadfile, package.searchpath
    io, package.loaded.io = nil, nil
    for _, name in ipairs { "execute", "exit", "remove", "rename", "getenv", "tmpname" } do
      os[name] = nil
    end
    package.loadlib, package.cpath = nil, ""
    package.searchers[3], package.searchers[4] = nil, nil
    local traceback = debug.traceback
    debug = { traceback = traceback }
    package.loaded.debug = debug
    string.dump = nil
    _G.load = function(chunk, name, _, ...) return load(chunk, name, "t", ...) end
    _G.loadfile = function(file, _, ...) return loadfile(file, "t", ...) end
    _G.dofile = function(file)
      local f = assert(_G.loadfile(file))
      return f()
    end
    package.searchers[2] = function(name)
      local path, err = searchpath(name, package.path)
      if not path then return "\\n\\t" .. err end
      local f, lerr = loadfile(path, "t")
      if not f then error(("error loading module '%s' from file '%s':\\n\\t%s"):format(name, path, lerr), 2) end
      return f, path
    end
    """

  static func apply(_ L: OpaquePointer) throws(LuaHostError) {
    var text = source
    let status = text.withUTF8 { buf in
      buf.withMemoryRebound(to: CChar.self) { lsh_loadbuffer(L, $0.baseAddress, $0.count, "=sandbox", "t") }
    }
    guard status == LUA_OK, lsh_pcall(L, 0, 0, 0) == LUA_OK else {
      let message = LuaStack(L).string(at: -1) ?? "?"
      lsh_pop(L, 1)
      throw LuaHostError(kind: "host", message: "cannot set up the sandbox: \(message)")
    }
  }
}
