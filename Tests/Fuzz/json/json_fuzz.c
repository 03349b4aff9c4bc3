/*
 * libFuzzer target for the JSON codec (scripts/fuzz): decode any bytes; what
 * decodes must encode, and what it encodes to must decode to an equal value
 * (object key order is a table's, so values are compared, not texts). Runs
 * with a memory cap, as scripts do.
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

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  if (L == NULL) {
    L = lsh_newstate(NULL, NULL, NULL, NULL);
    if (L == NULL || lsh_openlibs(L) != LUA_OK) abort();
    lsh_set_memory_limit(L, 256u << 20);
  }
  lua_pushcfunction(L, roundtrip);
  lua_pushlightuserdata(L, (void *)data);
  lua_pushinteger(L, (lua_Integer)size);
  int status = lsh_pcall(L, 2, 0, 0);
  if (status != LUA_OK && status != LUA_ERRMEM) abort();
  lua_settop(L, 0);
  lua_gc(L, LUA_GCCOLLECT);
  return 0;
}
