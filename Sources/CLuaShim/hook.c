/*
 * Time limits and interrupts: the count hook, the run's deadline, the
 * watchdog's deadline, and the one place limit and cancel errors are made.
 * Why C: the hook raises (lua_error) from inside Lua.
 *
 * The hook cannot fire while no Lua code runs (a C function such as
 * string.find that never returns, a finalizer or an xpcall handler that Lua
 * runs with hooks off). For those the watchdog (LuaHost's Watchdog) reads
 * `watch` from another thread and ends the run: see docs/async.md.
 */
#include "runtime_private.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define HOOK_COUNT 10000

double lsh_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- messages and error tables: the one place they are made ---------------- */

/* "2", "0.5", "1.25": seconds as a user wrote them, in the C locale. */
static void format_seconds(char *buf, size_t size, double s) {
  lsh_format_double(buf, size, "%.6g", s);
}

size_t lsh_limit_message(lua_State *L, int why, char *buf, size_t size) {
  lsh_runtime *rt = lsh_rt(L);
  char n[32];
  int len;
  switch (why) {
    case LSH_INTERRUPT_TIMEOUT:
      if (rt->time_limit > 0) {
        format_seconds(n, sizeof n, rt->time_limit);
        len = snprintf(buf, size, "time limit of %s s exceeded", n);
      } else {
        len = snprintf(buf, size, "time limit exceeded");
      }
      break;
    case LSH_INTERRUPT_MEMORY:
      if (rt->limit % (1u << 20) == 0) len = snprintf(buf, size, "memory limit of %zu MB exceeded", rt->limit >> 20);
      else len = snprintf(buf, size, "memory limit of %zu bytes exceeded", rt->limit);
      break;
    default:
      len = snprintf(buf, size, "interrupted");
  }
  return len < 0 ? 0 : ((size_t)len < size ? (size_t)len : size - 1);
}

/* Builds {kind = "limit"|"cancelled", message = ..., limit = "time"|"memory"} with the error metatable. */
static void push_limit_table(lua_State *L, int why) {
  char msg[96];
  size_t n = lsh_limit_message(L, why, msg, sizeof msg);
  lua_createtable(L, 0, 3);
  lua_pushliteral(L, "kind");
  lua_pushstring(L, why == LSH_INTERRUPT_CANCEL ? "cancelled" : "limit");
  lua_rawset(L, -3);
  lua_pushliteral(L, "message");
  lua_pushlstring(L, msg, n);
  lua_rawset(L, -3);
  if (why != LSH_INTERRUPT_CANCEL) {
    lua_pushliteral(L, "limit");
    lua_pushstring(L, why == LSH_INTERRUPT_TIMEOUT ? "time" : "memory");
    lua_rawset(L, -3);
  }
  lsh_push_error_mt(L);
  lua_setmetatable(L, -2);
}

void lsh_push_limit_error(lua_State *L, int why) {
  lsh_runtime *rt = lsh_rt(L);
  LSH_AS_HOST(rt, L, push_limit_table(L, why));
}

/* ---- the hook --------------------------------------------------------------- */

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
  lsh_push_limit_error(L, why);
  lsh_raise(L, 0);
}

/* Called before any thread runs: an interrupted run arms it at once. */
void lsh_enter(lua_State *co, lsh_runtime *rt) {
  if (atomic_load(&rt->interrupt) != LSH_INTERRUPT_NONE) armed_hook(co);
  else if (rt->deadline > 0 && lua_gethook(co) == NULL) plain_hook(co, rt);
}

/* ---- deadlines -------------------------------------------------------------- */

/* How long past its limit a run may take before the watchdog ends it: half
   the limit, between a quarter second and two seconds. */
static double watch_grace(double seconds) {
  double g = seconds / 2;
  return g < 0.25 ? 0.25 : (g > 2 ? 2 : g);
}

void lsh_begin_run(lua_State *L, double seconds) {
  lsh_runtime *rt = lsh_rt(L);
  atomic_store(&rt->interrupt, LSH_INTERRUPT_NONE);
  atomic_store(&rt->interrupts, 0);
  atomic_store(&rt->in_run, 1);
  rt->time_limit = seconds > 0 ? seconds : 0;
  rt->deadline = seconds > 0 ? lsh_now() + seconds : 0;
  atomic_store(&rt->watch, seconds > 0 ? rt->deadline + watch_grace(seconds) : 0);
  plain_hook(L, rt); /* threads created from now on inherit it */
}

double lsh_run_deadline(lua_State *L) { return lsh_rt(L)->deadline; }

void lsh_begin_cleanup(lua_State *L) {
  lsh_runtime *rt = lsh_rt(L);
  atomic_store(&rt->interrupt, LSH_INTERRUPT_NONE);
  double watch = atomic_load(&rt->watch);
  /* Cleanup (`<close>` handlers, tostring of the error) may run half way to
     the watchdog's time past the deadline; one second when there is no limit. */
  rt->deadline = watch > 0 ? watch - watch_grace(rt->time_limit) / 2 : lsh_now() + 1;
  plain_hook(L, rt);
}

void lsh_end_run(lua_State *L) {
  lsh_runtime *rt = lsh_rt(L);
  rt->deadline = 0;
  atomic_store(&rt->watch, 0);
  atomic_store(&rt->in_run, 0);
  plain_hook(L, rt);
}

double lsh_watch_deadline(lua_State *L) { return atomic_load(&lsh_rt(L)->watch); }

/* ---- interrupts ------------------------------------------------------------- */

int lsh_interrupt(lua_State *L, int why) {
  lsh_runtime *rt = lsh_rt(L);
  int none = LSH_INTERRUPT_NONE;
  atomic_compare_exchange_strong(&rt->interrupt, &none, why);
  /* As lua.c does from its signal handler: lua_sethook may be called
     asynchronously. The running thread stops at its next instruction. */
  lua_State *current = atomic_load(&rt->current);
  if (current) armed_hook(current);
  /* Counted only during a run: Ctrl-C at a REPL prompt ends nothing. */
  if (why != LSH_INTERRUPT_CANCEL || !atomic_load(&rt->in_run)) return 0;
  return atomic_fetch_add(&rt->interrupts, 1) + 1;
}

int lsh_interrupted(lua_State *L) { return atomic_load(&lsh_rt(L)->interrupt); }
void lsh_clear_interrupt(lua_State *L) { atomic_store(&lsh_rt(L)->interrupt, LSH_INTERRUPT_NONE); }
