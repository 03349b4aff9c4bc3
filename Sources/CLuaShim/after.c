/*
 * `after(f, post)`: a function that calls f with its arguments, then hands
 * f's first result and its own first argument to post, and returns what post
 * made of the first result followed by f's other results. The prelude wraps
 * host calls with it (strict result tables) where a Lua wrapper would not do:
 * a script's `return ashby.get_job{...}` tail-calls, and a Lua callee would
 * take the script's frame with it, so an error could no longer name the
 * script's line. A C frame is never elided, and lsh_raise looks past this
 * one. Why C: the call must be able to yield (lua_callk with a continuation).
 */
#include "runtime_private.h"

/* Stack: [1] the call's first argument, [2..] f's results. */
static int after_k(lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  (void)ctx;
  int results = lua_gettop(L) - 1;
  if (results == 0) return 0;
  luaL_checkstack(L, 3, "after");
  lua_pushvalue(L, lua_upvalueindex(2));
  lua_pushvalue(L, 2);
  lua_pushvalue(L, 1);
  lua_call(L, 2, 1);
  lua_replace(L, 2);
  return results;
}

int lsh_after_call(lua_State *L) {
  int nargs = lua_gettop(L);
  if (nargs == 0) lua_pushnil(L); else lua_pushvalue(L, 1);
  lua_insert(L, 1);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 2);
  lua_callk(L, nargs, LUA_MULTRET, 0, after_k);
  return after_k(L, LUA_OK, 0);
}

static int after(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_settop(L, 2);
  lua_pushcclosure(L, lsh_after_call, 2);
  return 1;
}

void lsh_push_after(lua_State *L) { lua_pushcfunction(L, after); }
