/*
 * libFuzzer target for the JSON codec (scripts/fuzz): decode any bytes; what
 * decodes must encode, and what it encodes to must decode to an equal value
 * (object key order is a table's, so values are compared, not texts). Then
 * the other way: a table built from the bytes with mixed and sparse keys
 * (integers, digit strings, words; marked as an array or not) either is
 * refused by encode or decodes back to the same entries, an integer key of an
 * object coming back as its decimal string. Runs with a memory cap, as scripts do.
 */
#include "lua_shim.h"

#include <stdlib.h>
#include <string.h>

static lua_State *L;

/* Deep equality of the values at a and b (absolute indices), raw. */
static int same(lua_State *L, int a, int b) {
  if (lua_type(L, a) != lua_type(L, b)) return 0;
  if (lua_type(L, a) != LUA_TTABLE) {
    if (lua_type(L, a) == LUA_TNUMBER && lua_isinteger(L, a) != lua_isinteger(L, b)) return 0;
    return lua_rawequal(L, a, b);
  }
  if (lsh_is_marked_array(L, a) != lsh_is_marked_array(L, b)) return 0;
  size_t count = 0;
  lua_pushnil(L);
  while (lua_next(L, a)) {
    count++;
    lua_pushvalue(L, -2);
    lua_rawget(L, b);
    int eq = same(L, lua_gettop(L) - 1, lua_gettop(L));
    lua_pop(L, 2);
    if (!eq) {
      lua_pop(L, 1);
      return 0;
    }
  }
  lua_pushnil(L);
  while (lua_next(L, b)) {
    lua_pop(L, 1);
    count--;
  }
  return count == 0;
}

static int roundtrip(lua_State *L) {
  size_t n = (size_t)lua_tointeger(L, 2);
  const char *bytes = lua_touserdata(L, 1);
  lua_pushcfunction(L, lsh_json_decode);
  lua_pushlstring(L, bytes, n);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) return 0; /* not JSON: fine */
  int value = lua_gettop(L);
  lua_pushcfunction(L, lsh_json_encode);
  lua_pushvalue(L, value);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) abort(); /* decoded but cannot encode */
  lua_pushcfunction(L, lsh_json_decode);
  lua_insert(L, -2);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) abort(); /* our own output does not decode */
  if (!same(L, value, lua_gettop(L))) abort(); /* the round trip changed the value */
  return 0;
}

/* The key `k` (at index k) as the decoded table holds it: the same in an array, its decimal text in an object. */
static void push_decoded_key(lua_State *L, int k, int in_array) {
  if (lua_isinteger(L, k) && !in_array) lua_pushfstring(L, "%I", (LUAI_UACINT)lua_tointeger(L, k));
  else lua_pushvalue(L, k);
}

/* Encode a table of mixed and sparse keys made from the bytes; what encodes must decode to the same entries. */
static int mixed(lua_State *L) {
  size_t n = (size_t)lua_tointeger(L, 2);
  const unsigned char *bytes = lua_touserdata(L, 1);
  lua_newtable(L);
  int t = lua_gettop(L);
  for (size_t i = 1; i + 1 < n && i < 64; i += 2) {
    unsigned char kind = bytes[i] % 4, v = bytes[i + 1];
    switch (kind) {
      case 0: lua_pushinteger(L, v % 8 + 1); break;
      case 1: lua_pushinteger(L, (lua_Integer)1 << (v % 40)); break;
      case 2: lua_pushfstring(L, "%d", v % 8 + 1); break;
      default: lua_pushfstring(L, "k%d", v % 8); break;
    }
    lua_pushinteger(L, v);
    lua_rawset(L, t);
  }
  if (n > 0 && (bytes[0] & 1)) lsh_mark_array(L, t);
  lua_pushcfunction(L, lsh_json_encode);
  lua_pushvalue(L, t);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) return 0; /* refused: fine */
  lua_pushcfunction(L, lsh_json_decode);
  lua_insert(L, -2);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) abort(); /* our own output does not decode */
  int d = lua_gettop(L);
  if (lua_type(L, d) != LUA_TTABLE) abort();
  int in_array = lsh_is_marked_array(L, d);
  size_t count = 0;
  lua_pushnil(L);
  while (lua_next(L, t)) {
    count++;
    push_decoded_key(L, lua_gettop(L) - 1, in_array);
    lua_rawget(L, d);
    if (!lua_rawequal(L, -1, -2)) abort(); /* an entry lost or changed */
    lua_pop(L, 2);
  }
  lua_pushnil(L);
  while (lua_next(L, d)) {
    lua_pop(L, 1);
    if (count-- == 0) abort(); /* an entry from nowhere */
  }
  if (count != 0) abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  if (L == NULL) {
    L = lsh_newstate(NULL, NULL, NULL, NULL, NULL);
    if (L == NULL || lsh_openlibs(L) != LUA_OK) abort();
    lsh_set_memory_limit(L, 256u << 20);
  }
  lua_pushcfunction(L, roundtrip);
  lua_pushlightuserdata(L, (void *)data);
  lua_pushinteger(L, (lua_Integer)size);
  int status = lsh_pcall(L, 2, 0, 0);
  if (status != LUA_OK && status != LUA_ERRMEM) abort();
  lua_settop(L, 0);
  lua_pushcfunction(L, mixed);
  lua_pushlightuserdata(L, (void *)data);
  lua_pushinteger(L, (lua_Integer)size);
  status = lsh_pcall(L, 2, 0, 0);
  if (status != LUA_OK && status != LUA_ERRMEM) abort();
  lua_settop(L, 0);
  lua_gc(L, LUA_GCCOLLECT);
  return 0;
}
