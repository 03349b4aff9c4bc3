import CLua
import CLuaShim

/// Reads Lua values into `LuaValue`, raw access only. Never raises.
///
/// Bounded: a table reached twice is read twice (`{a, a}` twenty levels deep
/// is a million values), so every value counts against `maxValues`, and its
/// Swift size against what the memory limit leaves (the host's copy counts
/// toward `--max-memory` like Lua's own).
struct LuaValueReader {
  let L: OpaquePointer
  static let maxDepth = 200
  /// Values one conversion may read, shared sub-tables counted each time.
  static let maxValues = 1_000_000
  /// What a value costs in Swift, before its string bytes (an estimate on the high side).
  static let bytesPerValue = 64
  /// Without a memory limit, a conversion may still not build more than this.
  static let maxBytesWithoutLimit = 1 << 30

  private var valuesLeft = Self.maxValues
  private var bytesLeft: Int

  init(L: OpaquePointer) {
    self.L = L
    let limit = lsh_memory_limit(L)
    bytesLeft = limit > 0 ? max(0, Int(clamping: limit) - Int(clamping: lsh_memory_used(L))) : Self.maxBytesWithoutLimit
  }

  private mutating func charge(_ bytes: Int) throws(LuaHostError) {
    valuesLeft -= 1
    bytesLeft -= Self.bytesPerValue + bytes
    if valuesLeft < 0 {
      throw LuaHostError.argument(
        "table too large for the host: more than \(Self.maxValues) values (a table reached twice counts twice)")
    }
    if bytesLeft < 0 {
      throw LuaHostError(
        kind: .limit,
        message: lsh_memory_limit(L) > 0
          ? LimitError.message(L, LSH_INTERRUPT_MEMORY) + " (by the host's copy of a value)"
          : "value too large for the host (more than \(Self.maxBytesWithoutLimit >> 20) MB)",
        extra: ["limit": "memory"])
    }
  }

  /// Stack effect: none.
  mutating func read(_ index: Int32, depth: Int) throws(LuaHostError) -> LuaValue {
    let idx = lua_absindex(L, index)
    try charge(lua_type(L, idx) == LUA_TSTRING ? Int(lua_rawlen(L, idx)) : 0)
    switch lua_type(L, idx) {
    case LUA_TNIL, LUA_TNONE: return .nil
    case LUA_TBOOLEAN: return .boolean(lua_toboolean(L, idx) != 0)
    case LUA_TNUMBER:
      if lua_isinteger(L, idx) != 0 { return .integer(lua_tointegerx(L, idx, nil)) }
      return .number(lua_tonumberx(L, idx, nil))
    case LUA_TSTRING:
      var len = 0
      guard let p = lsh_tolstring(L, idx, &len) else { return .nil }
      let raw = UnsafeRawBufferPointer(start: p, count: len)
      if let s = String(validating: raw, as: UTF8.self) { return .string(s) }
      return .bytes(Array(raw))
    case LUA_TTABLE: return try readTable(idx, depth: depth)
    case LUA_TLIGHTUSERDATA where lsh_is_null(L, idx) != 0: return .null
    default:
      throw LuaHostError(kind: "argument", message: "cannot convert a \(String(cString: lsh_typename(L, idx))) to data")
    }
  }

  private mutating func readTable(_ idx: Int32, depth: Int) throws(LuaHostError) -> LuaValue {
    guard depth < Self.maxDepth else {
      throw LuaHostError(kind: "argument", message: "table nested too deeply (or a cycle)")
    }
    guard lua_checkstack(L, 4) != 0 else {
      throw LuaHostError(kind: "argument", message: "table nested too deeply")
    }
    if lsh_is_marked_array(L, idx) != 0 {
      let n = Int64(lua_rawlen(L, idx))
      var items: [LuaValue] = []
      items.reserveCapacity(Int(n))
      for i in 0..<n {
        lua_rawgeti(L, idx, i + 1)
        defer { lsh_pop(L, 1) }
        items.append(try read(lua_gettop(L), depth: depth + 1))
      }
      return .array(items)
    }
    var pairs: [(LuaValue, LuaValue)] = []
    var allStrings = true
    var maxIndex: Int64 = 0
    var allIndices = true
    lua_pushnil(L)
    while lua_next(L, idx) != 0 {
      let key: LuaValue
      let value: LuaValue
      do {
        key = try read(-2, depth: depth + 1)
        value = try read(-1, depth: depth + 1)
      } catch {
        lsh_pop(L, 2)
        throw error
      }
      lsh_pop(L, 1)
      if case .string = key {} else { allStrings = false }
      if case .integer(let i) = key, i >= 1 { maxIndex = max(maxIndex, i) } else { allIndices = false }
      pairs.append((key, value))
    }
    if pairs.isEmpty { return .object([:]) }
    if allIndices && maxIndex == Int64(pairs.count) {
      var items = [LuaValue](repeating: .nil, count: pairs.count)
      for (k, v) in pairs { if case .integer(let i) = k { items[Int(i - 1)] = v } }
      return .array(items)
    }
    if allStrings {
      var object: [String: LuaValue] = [:]
      object.reserveCapacity(pairs.count)
      for (k, v) in pairs { if case .string(let s) = k { object[s] = v } }
      return .object(object)
    }
    return .table(Dictionary(pairs, uniquingKeysWith: { _, last in last }))
  }
}

/// Pushes `LuaValue`s. Arrays are pushed with the JSON array mark so they
/// round-trip as arrays (empty ones too). Never raises (cap lifted in Swift).
struct LuaValueWriter {
  let L: OpaquePointer

  /// Stack effect: pushes 1. Returns `LUA_OK`, or how decoding a `.jsonText`
  /// inside failed (`LUA_ERRMEM` past the memory cap); that one is pushed as nil.
  @discardableResult
  func push(_ value: LuaValue) -> Int32 {
    _ = lua_checkstack(L, 3)
    var status = LUA_OK
    func note(_ s: Int32) { if status == LUA_OK { status = s } }
    switch value {
    case .nil: lua_pushnil(L)
    case .boolean(let b): lua_pushboolean(L, b ? 1 : 0)
    case .integer(let i): lua_pushinteger(L, i)
    case .number(let d): lua_pushnumber(L, d)
    case .string(var s):
      s.withUTF8 { buf in _ = lua_pushlstring(L, buf.baseAddress, buf.count) }
    case .bytes(let b):
      b.withUnsafeBufferPointer { buf in
        buf.withMemoryRebound(to: CChar.self) { _ = lua_pushlstring(L, $0.baseAddress, $0.count) }
      }
    case .array(let items):
      lua_createtable(L, Int32(clamping: items.count), 0)
      for (i, item) in items.enumerated() {
        note(push(item))
        lua_rawseti(L, -2, Int64(i + 1))
      }
      lsh_mark_array(L, -1)
    case .object(let members):
      lua_createtable(L, 0, Int32(clamping: members.count))
      for (k, v) in members where v != .nil && v != .null {
        push(.string(k))
        note(push(v))
        lua_rawset(L, -3)
      }
    case .table(let pairs):
      lua_createtable(L, 0, Int32(clamping: pairs.count))
      for (k, v) in pairs where k != .nil && v != .nil {
        if case .number(let d) = k, d.isNaN { continue }  // lua_rawset would raise
        note(push(k))
        note(push(v))
        lua_rawset(L, -3)
      }
    case .null: lsh_push_null(L)
    case .jsonText(let text):
      let decoded = text.withUnsafeBufferPointer { buf in
        buf.withMemoryRebound(to: CChar.self) { lsh_json_decode_bytes(L, $0.baseAddress, $0.count) }
      }
      if decoded != LUA_OK {
        lsh_pop(L, 1)
        lua_pushnil(L)
        note(decoded)
      }
    }
    return status
  }
}
