/* Internal to CLuaShim: the runtime record every state carries in its extra space. */
#ifndef LSH_RUNTIME_PRIVATE_H
#define LSH_RUNTIME_PRIVATE_H

#include "lua_shim.h"
#include <stdatomic.h>

struct lsh_runtime {
  size_t used;          /* bytes Lua holds now */
  size_t limit;         /* cap in bytes, 0 = none */
  int enforce;          /* the cap applies only while Lua code (not Swift) runs */
  int gc_held;          /* the host stopped the collector while it runs (allocator.c) */
  atomic_int interrupt; /* LSH_INTERRUPT_*; set from any thread */
  atomic_int interrupts; /* Ctrl-Cs since the run began */
  atomic_int in_run;     /* between lsh_begin_run and lsh_end_run */
  double deadline;      /* monotonic seconds, 0 = none: the count hook raises past it */
  _Atomic double time_limit; /* the run's limit in seconds (for its message; the watchdog reads it), 0 = none */
  _Atomic double watch; /* monotonic seconds past which the watchdog ends the run, 0 = none */
  _Atomic(lua_State *) current; /* the thread running Lua code now, for lsh_interrupt */
  void *host;
  lsh_call_fn call;
  lsh_block_fn block;
  lsh_release_fn release;
  lsh_warn_fn warn;
  int warn_on;
  int warn_cont;
  size_t warn_len;
  char warn_buf[1024];
};

/* The runtime lives behind a pointer in every thread's extra space. */
static inline lsh_runtime *lsh_rt(lua_State *L) { return *(lsh_runtime **)lua_getextraspace(L); }

/* ---- allocator.c: the cap, and what the host does while it is lifted ---- */

lua_Alloc lsh_counting_alloc(void);

/* Host code (Swift, or C that only builds values) runs with the cap lifted, so
   Swift never sees an allocation failure; the collector is held meanwhile, so
   no finalizer (user code) can run with the cap lifted. Restore with leave. */
typedef struct {
  int enforce;
  int held;
} lsh_host_frame;
/* allocator.c: stops the collector for the host when it runs; returns whether it did. */
int lsh_hold_gc(lsh_runtime *rt, lua_State *L);
void lsh_release_gc(lsh_runtime *rt, lua_State *L);

/* Inline: every host call passes here (the hot path of the trampoline). */
static inline lsh_host_frame lsh_host_enter(lsh_runtime *rt, lua_State *L) {
  lsh_host_frame f = {rt->enforce, 0};
  rt->enforce = 0;
  if (rt->limit) f.held = lsh_hold_gc(rt, L);
  return f;
}

static inline void lsh_host_leave(lsh_runtime *rt, lua_State *L, lsh_host_frame f) {
  if (f.held) lsh_release_gc(rt, L);
  rt->enforce = f.enforce;
}

#define LSH_AS_HOST(rt, L, stmt)                         \
  do {                                                  \
    lsh_host_frame lsh_frame_ = lsh_host_enter(rt, L); \
    stmt;                                               \
    lsh_host_leave(rt, L, lsh_frame_);                  \
  } while (0)

/* Bookkeeping around every entry into Lua code (trampoline.c): the cap
   applies, a collector held by the host runs again, the thread is the one
   lsh_interrupt arms, and an interrupted run arms it at once. */
typedef struct {
  int enforce;
  int gc_held;
  lua_State *outer;
} lsh_lua_entry;
lsh_lua_entry lsh_enter_lua(lsh_runtime *rt, lua_State *L);
void lsh_leave_lua(lsh_runtime *rt, lua_State *L, lsh_lua_entry e);

/* Registry keys (addresses are unique). */
extern const char lsh_sentinel_key;
extern const char lsh_hostthreads_key;
extern const char lsh_waiting_key;

/* errors.c: creates the locked error metatable (at open). */
void lsh_errors_setup(lua_State *L);
/* Adds `where` (file:line of the caller at `level`) to a host error table on top; then raises. */
int lsh_raise(lua_State *L, int level);
/* The closures `after` makes (after.c): lsh_raise looks past their frames. */
int lsh_after_call(lua_State *L);
/* hook.c: gives a thread about to run the hook it needs (armed after an interrupt). */
void lsh_enter(lua_State *co, lsh_runtime *rt);
void lsh_install_coroutine_wrappers(lua_State *L);
void lsh_json_setup(lua_State *L);

/* numbers.c: numbers as text in the C locale, whatever setlocale says. */
double lsh_strtod(const char *s, char **end);
int lsh_format_double(char *buf, size_t size, const char *fmt, double x);

/* trampoline.c: the metatable of the userdata that owns a function's box (its `__gc` releases it). */
void lsh_function_boxes_setup(lua_State *L);

#endif
