/*
 * Error tables: the host's locked metatable, raising with `where`, the
 * message handler that keeps tables as tables, and protected tostring and
 * traceback. Why C: lsh_raise raises (lua_error).
 *
 * The metatable is the host's own: `__metatable` hides it from getmetatable
 * and refuses setmetatable, and the host reads and writes error tables raw,
 * so raising never runs a script's metamethods. Its `__tostring` is a host
 * function the embedder installs (lsh_set_error_tostring).
 */
#include <string.h>
#include "runtime_private.h"

static const char traceback_key = 0;
static const char error_mt_key = 0;

void lsh_errors_setup(lua_State *L) {
  lua_createtable(L, 0, 2);
  lua_pushliteral(L, "__metatable");
  lua_pushliteral(L, "locked");
  lua_rawset(L, -3);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &error_mt_key);
}

void lsh_push_error_mt(lua_State *L) { lua_rawgetp(L, LUA_REGISTRYINDEX, &error_mt_key); }

void lsh_set_error_tostring(lua_State *L) {
  lsh_push_error_mt(L);
  lua_pushliteral(L, "__tostring");
  lua_pushvalue(L, -3);
  lua_rawset(L, -3);
  lua_pop(L, 2);
}

int lsh_is_host_error(lua_State *L, int idx) {
  if (lua_type(L, idx) != LUA_TTABLE || !lua_getmetatable(L, idx)) return 0;
  lsh_push_error_mt(L);
  int same = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return same;
}

/* Adds `where` to a host error table on top (unless it has one), then raises.
   `where` is the first frame outside the host's own Lua (chunks named
   "=ashby.*": the prelude and stdlib, and the closures of `after`), so an
   error raised for `ashby.pages` points at the script's line, not the prelude's.
   Any other value (a script's own table, with whatever metatable) is raised
   untouched. Runs under the cap: a failed allocation is a memory error here. */
int lsh_raise(lua_State *L, int level) {
  lua_Debug ar;
  if (lsh_is_host_error(L, -1)) {
    lua_pushliteral(L, "where");
    if (lua_rawget(L, -2) == LUA_TNIL) {
      while (lua_getstack(L, level, &ar)) {
        lua_getinfo(L, "Slf", &ar);
        int after = lua_tocfunction(L, -1) == lsh_after_call;
        lua_pop(L, 1);
        if (!after && strncmp(ar.source, "=ashby.", 7) != 0) {
          if (ar.currentline > 0) {
            lua_pushliteral(L, "where");
            lua_pushfstring(L, "%s:%d", ar.short_src, ar.currentline);
            lua_rawset(L, -4);
          }
          break;
        }
        level++;
      }
    }
    lua_pop(L, 1);
  }
  return lua_error(L);
}

static int msgh(lua_State *L) {
  const char *msg = lua_type(L, 1) == LUA_TSTRING ? lua_tostring(L, 1) : NULL;
  luaL_traceback(L, L, msg, 1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &traceback_key);
  lua_settop(L, 1); /* the error itself, table errors stay tables */
  return 1;
}

void lsh_push_msgh(lua_State *L) { lua_pushcfunction(L, msgh); }
void lsh_push_last_traceback(lua_State *L) { lua_rawgetp(L, LUA_REGISTRYINDEX, &traceback_key); }

static int tostring_p(lua_State *L) {
  luaL_tolstring(L, 1, NULL);
  return 1;
}

int lsh_tostring(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  lua_pushcfunction(L, tostring_p);
  lua_pushvalue(L, idx);
  return lsh_pcall(L, 1, 1, 0);
}

static int traceback_p(lua_State *L) {
  lua_State *co = lua_touserdata(L, 1);
  const char *msg = lua_touserdata(L, 2);
  luaL_traceback(L, co, msg, (int)lua_tointeger(L, 3));
  return 1;
}

int lsh_traceback(lua_State *L, lua_State *co, const char *msg, int level) {
  lua_pushcfunction(L, traceback_p);
  lua_pushlightuserdata(L, co);
  lua_pushlightuserdata(L, (void *)msg);
  lua_pushinteger(L, level);
  return lsh_pcall(L, 3, 1, 0);
}
