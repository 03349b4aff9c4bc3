/*
 * coroutine.resume / wrap / yield / isyieldable / running / status / close,
 * re-implemented after Lua 5.4.4's lcorolib.c so that a host wait inside a
 * user's coroutine passes up to the driver (docs/async.md). Why C: these
 * functions yield (lua_yieldk) and raise (lua_error).
 *
 * A host wait yields the private sentinel and a request id. The resumer sees
 * it, marks the coroutine as waiting, and yields the same pair from its own
 * thread (or, where it cannot yield, blocks the VM thread for that one
 * completion). The driver resumes it with `ok, values...`, which it hands down
 * to the waiting coroutine, and it loops until a real yield, return or error.
 */
#include "runtime_private.h"

#define COS_RUN 0
#define COS_DEAD 1
#define COS_YIELD 2
#define COS_NORM 3
static const char *const statname[] = {"running", "dead", "suspended", "normal"};

/* Is the thread value at idx in the registry set `key`? */
static int in_set(lua_State *L, const void *key, int idx) {
  idx = lua_absindex(L, idx);
  lua_rawgetp(L, LUA_REGISTRYINDEX, key);
  lua_pushvalue(L, idx);
  int found = lua_rawget(L, -2) != LUA_TNIL;
  lua_pop(L, 2);
  return found;
}

static void set_flag(lua_State *L, const void *key, int idx, int on) {
  idx = lua_absindex(L, idx);
  lua_rawgetp(L, LUA_REGISTRYINDEX, key);
  lua_pushvalue(L, idx);
  if (on) lua_pushboolean(L, 1);
  else lua_pushnil(L);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

static int is_host(lua_State *L, int idx) { return in_set(L, &lsh_hostthreads_key, idx); }

static int running_is_host(lua_State *L) {
  lua_pushthread(L);
  int host = is_host(L, -1);
  lua_pop(L, 1);
  return host;
}

static lua_State *getco(lua_State *L) {
  lua_State *co = lua_tothread(L, 1);
  luaL_argexpected(L, co, 1, "coroutine");
  return co;
}

static int auxstatus(lua_State *L, lua_State *co, int coidx) {
  if (L == co) return COS_RUN;
  if (in_set(L, &lsh_waiting_key, coidx)) return COS_NORM; /* inside a host call */
  switch (lua_status(co)) {
    case LUA_YIELD:
      return is_host(L, coidx) ? COS_NORM : COS_YIELD;
    case LUA_OK: {
      lua_Debug ar;
      if (lua_getstack(co, 0, &ar)) return COS_NORM;
      else if (lua_gettop(co) == 0) return COS_DEAD;
      else return COS_YIELD;
    }
    default:
      return COS_DEAD;
  }
}

/* lcorolib's auxresume: moves narg values to co, resumes, moves results back. */
static int auxresume(lua_State *L, lua_State *co, int narg) {
  int status, nres;
  if (!lua_checkstack(co, narg)) {
    lua_pushliteral(L, "too many arguments to resume");
    return -1;
  }
  lua_xmove(L, co, narg);
  lsh_runtime *rt = lsh_rt(L);
  lua_State *outer = atomic_exchange(&rt->current, co);
  lsh_enter(co, rt);
  status = lua_resume(co, L, narg, &nres);
  atomic_store(&rt->current, outer);
  if (status == LUA_OK || status == LUA_YIELD) {
    if (!lua_checkstack(L, nres + 1)) {
      lua_pop(co, nres);
      lua_pushliteral(L, "too many results to resume");
      return -1;
    }
    lua_xmove(co, L, nres);
    return nres;
  }
  lua_xmove(co, L, 1);
  return -1;
}

static int finish_resume(lua_State *L, int r) {
  if (r < 0) {
    lua_pushboolean(L, 0);
    lua_insert(L, -2);
    return 2;
  }
  lua_pushboolean(L, 1);
  lua_insert(L, -(r + 1));
  return r + 1;
}

static int finish_wrap(lua_State *L, lua_State *co, int r) {
  if (r >= 0) return r;
  int stat = lua_status(co);
  if (stat != LUA_OK && stat != LUA_YIELD) { /* error in the coroutine: close it */
    stat = lua_resetthread(co);
    lua_xmove(co, L, 1);
  }
  if (stat != LUA_ERRMEM && lua_type(L, -1) == LUA_TSTRING) {
    luaL_where(L, 1);
    lua_insert(L, -2);
    lua_concat(L, 2);
  }
  return lua_error(L);
}

static int resume_loop(lua_State *L, lua_State *co, int coidx, int narg, int wrap);

/* The driver resumed us with `ok, values...` for the coroutine we wait on. */
static int resume_k(lua_State *L, int status, lua_KContext wrap) {
  (void)status;
  int coidx = wrap ? lua_upvalueindex(1) : 1;
  lua_State *co = lua_tothread(L, coidx);
  set_flag(L, &lsh_waiting_key, coidx, 0);
  return resume_loop(L, co, coidx, lua_gettop(L) - (wrap ? 0 : 1), (int)wrap);
}

static int resume_loop(lua_State *L, lua_State *co, int coidx, int narg, int wrap) {
  for (;;) {
    int r = auxresume(L, co, narg);
    if (!(r == 2 && lua_status(co) == LUA_YIELD && lsh_is_sentinel(L, -2)))
      return wrap ? finish_wrap(L, co, r) : finish_resume(L, r);
    lua_Integer id = lua_tointeger(L, -1);
    lua_pop(L, 2);
    if (lua_isyieldable(L)) { /* pass the wait up */
      set_flag(L, &lsh_waiting_key, coidx, 1);
      lua_pushlightuserdata(L, (void *)&lsh_sentinel_key);
      lua_pushinteger(L, id);
      return lua_yieldk(L, 2, wrap, resume_k);
    }
    lsh_runtime *rt = lsh_rt(L); /* cannot yield here: wait on the VM thread */
    set_flag(L, &lsh_waiting_key, coidx, 1);
    LSH_AS_HOST(rt, L, narg = rt->block(L, id, rt->host));
    set_flag(L, &lsh_waiting_key, coidx, 0);
  }
}

static int refuse_busy(lua_State *L, lua_State *co, int coidx) {
  if (co != L && (is_host(L, coidx) || in_set(L, &lsh_waiting_key, coidx))) {
    lua_pushliteral(L, "cannot resume non-suspended coroutine");
    return 1;
  }
  return 0;
}

static int co_resume(lua_State *L) {
  lua_State *co = getco(L);
  if (refuse_busy(L, co, 1)) return finish_resume(L, -1);
  return resume_loop(L, co, 1, lua_gettop(L) - 1, 0);
}

static int auxwrap(lua_State *L) {
  lua_State *co = lua_tothread(L, lua_upvalueindex(1));
  if (refuse_busy(L, co, lua_upvalueindex(1))) return finish_wrap(L, co, -1);
  return resume_loop(L, co, lua_upvalueindex(1), lua_gettop(L), 1);
}

static int co_wrap(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_State *NL = lua_newthread(L);
  lua_pushvalue(L, 1);
  lua_xmove(L, NL, 1);
  lua_pushcclosure(L, auxwrap, 1);
  return 1;
}

static int co_yield(lua_State *L) {
  if (running_is_host(L)) return luaL_error(L, "attempt to yield from outside a coroutine");
  return lua_yield(L, lua_gettop(L));
}

static int co_isyieldable(lua_State *L) {
  int coidx = 1;
  lua_State *co = lua_isnone(L, 1) ? L : getco(L);
  if (co == L) {
    lua_pushthread(L);
    coidx = lua_gettop(L);
  }
  lua_pushboolean(L, lua_isyieldable(co) && !is_host(L, coidx));
  return 1;
}

static int co_running(lua_State *L) {
  int ismain = lua_pushthread(L);
  lua_pushboolean(L, ismain || is_host(L, -1));
  return 2;
}

static int co_status(lua_State *L) {
  lua_State *co = getco(L);
  lua_pushstring(L, statname[auxstatus(L, co, 1)]);
  return 1;
}

static int co_close(lua_State *L) {
  lua_State *co = getco(L);
  int status = auxstatus(L, co, 1);
  switch (status) {
    case COS_DEAD:
    case COS_YIELD: {
      status = lua_resetthread(co);
      if (status == LUA_OK) {
        lua_pushboolean(L, 1);
        return 1;
      }
      lua_pushboolean(L, 0);
      lua_xmove(co, L, 1);
      return 2;
    }
    default:
      return luaL_error(L, "cannot close a %s coroutine", statname[status]);
  }
}

void lsh_install_coroutine_wrappers(lua_State *L) {
  static const luaL_Reg fns[] = {
      {"resume", co_resume}, {"wrap", co_wrap},       {"yield", co_yield},
      {"isyieldable", co_isyieldable}, {"running", co_running}, {"status", co_status},
      {"close", co_close},   {NULL, NULL}};
  lua_getglobal(L, "coroutine");
  luaL_setfuncs(L, fns, 0);
  lua_pop(L, 1);
}
