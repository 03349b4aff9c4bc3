/*
 * The counting allocator that enforces --max-memory, and the rule for host
 * code: the cap is lifted while the host builds values (Swift must never see
 * an allocation failure: it would longjmp through Swift frames), and the
 * collector is held meanwhile, so no finalizer (user code) runs with the cap
 * lifted. Why C: it is Lua's lua_Alloc, and lua_gc must not be called from
 * Swift while a Lua error could be in flight.
 */
#include "runtime_private.h"

#include <stdlib.h>

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

lua_Alloc lsh_counting_alloc(void) { return counting_alloc; }

void lsh_set_memory_limit(lua_State *L, size_t bytes) { lsh_rt(L)->limit = bytes; }
size_t lsh_memory_used(lua_State *L) { return lsh_rt(L)->used; }
size_t lsh_memory_limit(lua_State *L) { return lsh_rt(L)->limit; }

/* Only under a cap: without one a finalizer cannot outgrow anything, and a
   held collector would cost every host call two lua_gc calls for nothing.
   lua_gc answers -1 inside a finalizer (nothing to hold there). */
int lsh_hold_gc(lsh_runtime *rt, lua_State *L) {
  if (rt->gc_held || lua_gc(L, LUA_GCISRUNNING) != 1) return 0;
  lua_gc(L, LUA_GCSTOP);
  rt->gc_held = 1;
  return 1;
}

void lsh_release_gc(lsh_runtime *rt, lua_State *L) {
  rt->gc_held = 0;
  lua_gc(L, LUA_GCRESTART);
}

lsh_lua_entry lsh_enter_lua(lsh_runtime *rt, lua_State *L) {
  lsh_lua_entry e = {rt->enforce, rt->gc_held, atomic_exchange(&rt->current, L)};
  if (rt->gc_held) {
    rt->gc_held = 0;
    lua_gc(L, LUA_GCRESTART);
  }
  rt->enforce = 1;
  lsh_enter(L, rt);
  return e;
}

void lsh_leave_lua(lsh_runtime *rt, lua_State *L, lsh_lua_entry e) {
  if (e.gc_held && lua_gc(L, LUA_GCISRUNNING) == 1) {
    lua_gc(L, LUA_GCSTOP);
    rt->gc_held = 1;
  }
  rt->enforce = e.enforce;
  atomic_store(&rt->current, e.outer);
}
