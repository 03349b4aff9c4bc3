import CLua
import CLuaShim

/// A view of one Lua thread's stack, handed to host functions.
///
/// Only valid on the VM thread, during the call it was made for. Every
/// operation here is raw (no metamethods) and never raises: the memory cap is
/// lifted while Swift runs (docs/async.md, "Only C longjmps"), so pushing cannot fail either.
public struct LuaStack {
  public let L: OpaquePointer

  init(_ L: OpaquePointer) { self.L = L }

  /// Number of values on the stack (the arguments, inside a host function).
  public var count: Int32 { lua_gettop(L) }

  /// Lua's type name of the value at `index`, for error messages.
  public func typeName(at index: Int32) -> String {
    String(cString: lsh_typename(L, index))
  }

  public func isNil(at index: Int32) -> Bool { lsh_isnoneornil(L, index) != 0 }
  public func isFunction(at index: Int32) -> Bool { lua_type(L, index) == LUA_TFUNCTION }
  public func isTable(at index: Int32) -> Bool { lua_type(L, index) == LUA_TTABLE }

  public func integer(at index: Int32) -> Int64? {
    var ok: Int32 = 0
    let v = lua_tointegerx(L, index, &ok)
    return ok != 0 ? v : nil
  }

  public func number(at index: Int32) -> Double? {
    var ok: Int32 = 0
    let v = lua_tonumberx(L, index, &ok)
    return ok != 0 ? v : nil
  }

  /// The string at `index`, only if it is a string (numbers are not converted).
  public func string(at index: Int32) -> String? {
    guard lua_type(L, index) == LUA_TSTRING else { return nil }
    var len = 0
    guard let p = lsh_tolstring(L, index, &len) else { return nil }
    return String(decoding: UnsafeRawBufferPointer(start: p, count: len), as: UTF8.self)
  }

  /// Converts the value at `index` (see `LuaValue` for the rules).
  public func value(at index: Int32) throws(LuaHostError) -> LuaValue {
    var reader = LuaValueReader(L: L)
    return try reader.read(lua_absindex(L, index), depth: 0)
  }

  /// All values from `index` to the top (one budget for them all).
  public func values(from index: Int32 = 1) throws(LuaHostError) -> [LuaValue] {
    let top = count
    guard index <= top else { return [] }
    var reader = LuaValueReader(L: L)
    var out: [LuaValue] = []
    out.reserveCapacity(Int(top - index + 1))
    for i in index...top { out.append(try reader.read(i, depth: 0)) }
    return out
  }

  /// Stack effect: pushes 1 (nil for a `.jsonText` that is not valid JSON).
  public func push(_ value: LuaValue) { LuaValueWriter(L: L).push(value) }

  /// Pushes each value; returns how many (the result count for a host function).
  @discardableResult
  public func push(_ values: [LuaValue]) -> Int32 {
    _ = pushChecked(values)
    return Int32(values.count)
  }

  /// Pushes each value; returns `LUA_OK` or how decoding a `.jsonText` among
  /// them failed (all are pushed either way, the failed ones as nil).
  func pushChecked(_ values: [LuaValue]) -> Int32 {
    _ = lua_checkstack(L, Int32(values.count) + 1)
    var status = LUA_OK
    for v in values {
      let s = LuaValueWriter(L: L).push(v)
      if status == LUA_OK { status = s }
    }
    return status
  }

  public func pop(_ n: Int32 = 1) { lsh_pop(L, n) }
  /// Moves the top value to `index`, shifting the values above it up.
  public func insert(_ index: Int32) { lsh_insert(L, index) }
  public func setTop(_ n: Int32) { lua_settop(L, n) }
}
