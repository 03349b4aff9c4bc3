/*
 * The state, its counting allocator, the count hook and the trampoline.
 * Why C: the trampoline, the hook and the continuation raise (lua_error) or
 * yield (lua_yieldk); a longjmp must never cross a Swift frame.
 */
#include "runtime_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char lsh_sentinel_key = 0;
const char lsh_hostthreads_key = 0;
const char lsh_waiting_key = 0;
static const char traceback_key = 0;
static const char error_mt_key = 0;

#define HOOK_COUNT 10000

/* ---- allocator ------------------------------------------------------------ */

static void *counting_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  lsh_runtime *rt = ud;
  size_t old = ptr ? osize : 0;
  if (nsize == 0) {
    free(ptr);
    rt->used -= old;
    return NULL;
  }
  if (rt->enforce && rt->limit && nsize > old && rt->used - old + nsize > rt->limit) return NULL;
  void *p = realloc(ptr, nsize);
  if (p == NULL) return NULL;
  rt->used = rt->used - old + nsize;
  return p;
}

static int panic(lua_State *L) {
  const char *msg = lua_tostring(L, -1);
  fprintf(stderr, "ashby-lua: unprotected Lua error (%s)\n", msg ? msg : "?");
  fflush(stderr);
  abort();
}

/* ---- warn ----------------------------------------------------------------- */

static void warnf(void *ud, const char *msg, int tocont) {
  lsh_runtime *rt = ud;
  if (!rt->warn_cont && !tocont && msg[0] == '@') { /* control message */
    if (strcmp(msg, "@on") == 0) rt->warn_on = 1;
    else if (strcmp(msg, "@off") == 0) rt->warn_on = 0;
    return;
  }
  size_t len = strlen(msg);
  size_t room = sizeof(rt->warn_buf) - 1 - rt->warn_len;
  if (len > room) len = room;
  memcpy(rt->warn_buf + rt->warn_len, msg, len);
  rt->warn_len += len;
  rt->warn_cont = tocont;
  if (!tocont) {
    rt->warn_buf[rt->warn_len] = '\0';
    if (rt->warn_on && rt->warn) rt->warn(rt->host, rt->warn_buf, rt->warn_len);
    rt->warn_len = 0;
  }
}

/* ---- state ---------------------------------------------------------------- */

lua_State *lsh_newstate(void *host, lsh_call_fn call, lsh_block_fn block, lsh_warn_fn warn) {
  lsh_runtime *rt = calloc(1, sizeof(lsh_runtime));
  if (rt == NULL) return NULL;
  atomic_init(&rt->interrupt, LSH_INTERRUPT_NONE);
  atomic_init(&rt->current, NULL);
  rt->host = host;
  rt->call = call;
  rt->block = block;
  rt->warn = warn;
  lua_State *L = lua_newstate(counting_alloc, rt);
  if (L == NULL) {
    free(rt);
    return NULL;
  }
  *(lsh_runtime **)lua_getextraspace(L) = rt;
  lua_atpanic(L, panic);
  lua_setwarnf(L, warnf, rt);
  return L;
}

void lsh_close(lua_State *L) {
  lsh_runtime *rt = lsh_rt(L);
  rt->enforce = 0;
  lua_close(L);
  free(rt);
}

static int weak_key_table(lua_State *L, const void *key) {
  lua_newtable(L);
  lua_newtable(L);
  lua_pushliteral(L, "k");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, key);
  return 0;
}

static int error_tostring(lua_State *L);

static int openlibs(lua_State *L) {
  luaL_openlibs(L);
  weak_key_table(L, &lsh_hostthreads_key);
  weak_key_table(L, &lsh_waiting_key);
  lua_newtable(L); /* the error metatable */
  lua_pushcfunction(L, error_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_rawsetp(L, LUA_REGISTRYINDEX, &error_mt_key);
  lsh_install_coroutine_wrappers(L);
  lsh_json_setup(L);
  return 0;
}

int lsh_openlibs(lua_State *L) {
  lua_pushcfunction(L, openlibs);
  return lsh_pcall(L, 0, 0, 0);
}

void lsh_set_memory_limit(lua_State *L, size_t bytes) { lsh_rt(L)->limit = bytes; }
size_t lsh_memory_used(lua_State *L) { return lsh_rt(L)->used; }

/* ---- hook: deadline and cancellation -------------------------------------- */

double lsh_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void push_limit_error(lua_State *L, int why) {
  lua_createtable(L, 0, 3);
  lua_pushstring(L, why == LSH_INTERRUPT_TIMEOUT ? "limit" : "cancelled");
  lua_setfield(L, -2, "kind");
  lua_pushstring(L, why == LSH_INTERRUPT_TIMEOUT ? "time limit exceeded" : "interrupted");
  lua_setfield(L, -2, "message");
  lsh_push_error_mt(L);
  lua_setmetatable(L, -2);
}

static void hookf(lua_State *L, lua_Debug *ar);

/* The hook a thread should have when nothing is interrupted: a count hook
   while a deadline is set, none otherwise (so debug.gethook() stays as in lua). */
static void plain_hook(lua_State *L, lsh_runtime *rt) {
  if (rt->deadline > 0) lua_sethook(L, hookf, LUA_MASKCOUNT, HOOK_COUNT);
  else lua_sethook(L, NULL, 0, 0);
}

/* Every line and instruction: a pcall that swallows the error gets the next
   one at once (Redis' SCRIPT KILL lesson). */
static void armed_hook(lua_State *L) {
  lua_sethook(L, hookf, LUA_MASKCOUNT | LUA_MASKLINE | LUA_MASKCALL, 1);
}

static void hookf(lua_State *L, lua_Debug *ar) {
  (void)ar;
  lsh_runtime *rt = lsh_rt(L);
  int why = atomic_load(&rt->interrupt);
  if (why == LSH_INTERRUPT_NONE && rt->deadline > 0 && lsh_now() >= rt->deadline) {
    int none = LSH_INTERRUPT_NONE;
    atomic_compare_exchange_strong(&rt->interrupt, &none, LSH_INTERRUPT_TIMEOUT);
    why = atomic_load(&rt->interrupt);
  }
  if (why == LSH_INTERRUPT_NONE) {
    if (lua_gethookmask(L) != LUA_MASKCOUNT) plain_hook(L, rt);
    return;
  }
  armed_hook(L);
  LSH_OUTSIDE_CAP(rt, push_limit_error(L, why));
  lsh_raise(L, 0);
}

void lsh_set_deadline(lua_State *L, double t) {
  lsh_runtime *rt = lsh_rt(L);
  rt->deadline = t;
  plain_hook(L, rt); /* threads created from now on inherit it */
}

void lsh_interrupt(lua_State *L, int why) {
  lsh_runtime *rt = lsh_rt(L);
  int none = LSH_INTERRUPT_NONE;
  atomic_compare_exchange_strong(&rt->interrupt, &none, why);
  /* As lua.c does from its signal handler: lua_sethook may be called
     asynchronously. The running thread stops at its next instruction. */
  lua_State *current = atomic_load(&rt->current);
  if (current) armed_hook(current);
}

/* Called before any thread runs: an interrupted run arms it at once. */
void lsh_enter(lua_State *co, lsh_runtime *rt) {
  if (atomic_load(&rt->interrupt) != LSH_INTERRUPT_NONE) armed_hook(co);
  else if (rt->deadline > 0 && lua_gethook(co) == NULL) plain_hook(co, rt);
}

int lsh_interrupted(lua_State *L) { return atomic_load(&lsh_rt(L)->interrupt); }
void lsh_clear_interrupt(lua_State *L) { atomic_store(&lsh_rt(L)->interrupt, LSH_INTERRUPT_NONE); }

/* ---- errors --------------------------------------------------------------- */

void lsh_push_error_mt(lua_State *L) { lua_rawgetp(L, LUA_REGISTRYINDEX, &error_mt_key); }

/* Pushes t[k] as a string (nil stays nil), raw access only. */
static int field_string(lua_State *L, int t, const char *k) {
  lua_pushstring(L, k);
  lua_rawget(L, t);
  if (lua_type(L, -1) == LUA_TNUMBER) lua_tostring(L, -1);
  if (lua_type(L, -1) != LUA_TSTRING) {
    lua_pop(L, 1);
    return 0;
  }
  return 1;
}

/* `prefix` + action ": " kind " (" code ")" ": " message " at " where */
static int error_tostring(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  int n = 0;
  if (field_string(L, 1, "action")) {
    if (lua_getmetatable(L, 1)) {
      lua_getfield(L, -1, "prefix");
      lua_remove(L, -2);
      if (lua_type(L, -1) == LUA_TSTRING) lua_insert(L, -2), n++;
      else lua_pop(L, 1);
    }
    lua_pushliteral(L, ": ");
    n += 2;
  }
  if (field_string(L, 1, "kind")) {
    n++;
    if (field_string(L, 1, "code")) {
      lua_pushliteral(L, " (");
      lua_insert(L, -2);
      lua_pushliteral(L, ")");
      n += 3;
    }
    lua_pushliteral(L, ": ");
    n++;
  }
  if (!field_string(L, 1, "message")) lua_pushliteral(L, "error");
  n++;
  if (field_string(L, 1, "where")) {
    lua_pushliteral(L, " at ");
    lua_insert(L, -2);
    n += 2;
  }
  lua_concat(L, n);
  return 1;
}

/* Adds `where` to a table error on top (unless it has one), then raises it. */
int lsh_raise(lua_State *L, int level) {
  lsh_runtime *rt = lsh_rt(L);
  lua_Debug ar;
  if (lua_type(L, -1) == LUA_TTABLE && lua_getstack(L, level, &ar)) {
    int saved = rt->enforce;
    rt->enforce = 0;
    lua_pushliteral(L, "where");
    if (lua_rawget(L, -2) == LUA_TNIL) {
      lua_getinfo(L, "Sl", &ar);
      if (ar.currentline > 0) {
        lua_pushfstring(L, "%s:%d", ar.short_src, ar.currentline);
        lua_setfield(L, -3, "where");
      }
    }
    lua_pop(L, 1);
    rt->enforce = saved;
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

/* ---- calling into Lua ----------------------------------------------------- */

/* Bookkeeping around every entry into Lua code: the cap applies, the thread
   is the one lsh_interrupt arms, and an interrupted run arms it at once. */
typedef struct {
  int enforce;
  lua_State *outer;
} lua_entry;

static lua_entry enter_lua(lsh_runtime *rt, lua_State *L) {
  lua_entry e = {rt->enforce, atomic_exchange(&rt->current, L)};
  rt->enforce = 1;
  lsh_enter(L, rt);
  return e;
}

static void leave_lua(lsh_runtime *rt, lua_entry e) {
  rt->enforce = e.enforce;
  atomic_store(&rt->current, e.outer);
}

int lsh_resume(lua_State *co, lua_State *from, int nargs, int *nres) {
  lsh_runtime *rt = lsh_rt(co);
  lua_entry e = enter_lua(rt, co);
  int status = lua_resume(co, from, nargs, nres);
  leave_lua(rt, e);
  return status;
}

int lsh_pcall(lua_State *L, int nargs, int nresults, int msgh_idx) {
  lsh_runtime *rt = lsh_rt(L);
  lua_entry e = enter_lua(rt, L);
  int status = lua_pcall(L, nargs, nresults, msgh_idx);
  leave_lua(rt, e);
  return status;
}

/* ---- the trampoline ------------------------------------------------------- */

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
  LSH_OUTSIDE_CAP(rt, rt->block(L, id, rt->host));
  return wait_k(L, LUA_OK, 0);
}

static int trampoline(lua_State *L) {
  lsh_runtime *rt = lsh_rt(L);
  void *box = lua_touserdata(L, lua_upvalueindex(1));
  int n;
  LSH_OUTSIDE_CAP(rt, n = rt->call(L, box));
  if (n >= 0) return n;
  if (n == LSH_WAIT) return host_wait(L);
  return lsh_raise(L, 1);
}

void lsh_push_function(lua_State *L, void *box) {
  lua_pushlightuserdata(L, box);
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

void lsh_set_host(lua_State *L, void *host) { lsh_rt(L)->host = host; }

int lsh_resetthread(lua_State *co) {
  lsh_runtime *rt = lsh_rt(co);
  lua_entry e = enter_lua(rt, co);
  int status = lua_resetthread(co);
  leave_lua(rt, e);
  return status;
}
