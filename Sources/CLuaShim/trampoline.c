/*
 * Entering Lua from the host and the host from Lua: resume and pcall with the
 * cap enforced, and the one trampoline every Swift function is called
 * through. Why C: the trampoline raises (lua_error) and yields (lua_yieldk)
 * on the Swift callback's behalf; a longjmp must never cross a Swift frame.
 */
#include "runtime_private.h"

int lsh_resume(lua_State *co, lua_State *from, int nargs, int *nres) {
  lsh_runtime *rt = lsh_rt(co);
  lsh_lua_entry e = lsh_enter_lua(rt, co);
  int status = lua_resume(co, from, nargs, nres);
  lsh_leave_lua(rt, co, e);
  return status;
}

int lsh_pcall(lua_State *L, int nargs, int nresults, int msgh_idx) {
  lsh_runtime *rt = lsh_rt(L);
  lsh_lua_entry e = lsh_enter_lua(rt, L);
  int status = lua_pcall(L, nargs, nresults, msgh_idx);
  lsh_leave_lua(rt, L, e);
  return status;
}

int lsh_resetthread(lua_State *co) {
  lsh_runtime *rt = lsh_rt(co);
  lsh_lua_entry e = lsh_enter_lua(rt, co);
  int status = lua_resetthread(co);
  lsh_leave_lua(rt, co, e);
  return status;
}

/* Resumed by the driver (or returned from a blocking wait) with `ok, values...`. */
static int wait_k(lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  (void)ctx;
  if (lua_toboolean(L, 1)) return lua_gettop(L) - 1;
  lua_settop(L, 2);
  return lsh_raise(L, 1);
}

/* A host wait: yield the sentinel up to the driver, or block where we cannot yield. */
static int host_wait(lua_State *L) {
  lsh_runtime *rt = lsh_rt(L);
  lua_Integer id = lua_tointeger(L, -1);
  lua_settop(L, 0);
  if (lua_isyieldable(L)) {
    lua_pushlightuserdata(L, (void *)&lsh_sentinel_key);
    lua_pushinteger(L, id);
    return lua_yieldk(L, 2, 0, wait_k);
  }
  LSH_AS_HOST(rt, L, rt->block(L, id, rt->host));
  return wait_k(L, LUA_OK, 0);
}

static int trampoline(lua_State *L) {
  lsh_runtime *rt = lsh_rt(L);
  void **slot = lua_touserdata(L, lua_upvalueindex(1));
  void *box = slot == NULL ? NULL : *slot;
  if (box == NULL) return luaL_error(L, "a host function whose upvalue was replaced or released");
  int n;
  LSH_AS_HOST(rt, L, n = rt->call(L, box));
  if (n >= 0) return n;
  if (n == LSH_WAIT) return host_wait(L);
  return lsh_raise(L, 1);
}

/* The registry key of the box owner's metatable. */
static const char lsh_box_mt_key = 0;

/* `__gc` of a box's owner: hands the box back once. A second call (a finalizer run by hand) finds NULL. */
static int box_gc(lua_State *L) {
  void **slot = lua_touserdata(L, 1);
  if (slot != NULL && *slot != NULL) {
    void *box = *slot;
    *slot = NULL;
    lsh_rt(L)->release(box);
  }
  return 0;
}

void lsh_function_boxes_setup(lua_State *L) {
  lua_createtable(L, 0, 2);
  lua_pushcfunction(L, box_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_rawsetp(L, LUA_REGISTRYINDEX, &lsh_box_mt_key);
}

void lsh_push_function(lua_State *L, void *box) {
  void **slot = lua_newuserdatauv(L, sizeof *slot, 0);
  *slot = box;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &lsh_box_mt_key);
  lua_setmetatable(L, -2); /* with `__gc` set before: marked for finalization */
  lua_pushcclosure(L, trampoline, 1);
}

int lsh_is_sentinel(lua_State *L, int idx) {
  return lua_type(L, idx) == LUA_TLIGHTUSERDATA && lua_touserdata(L, idx) == (void *)&lsh_sentinel_key;
}

void lsh_mark_host_thread(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &lsh_hostthreads_key);
  lua_pushvalue(L, idx);
  lua_pushboolean(L, 1);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}
