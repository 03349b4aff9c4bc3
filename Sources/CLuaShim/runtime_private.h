/* Internal to CLuaShim: the runtime record every state carries in its extra space. */
#ifndef LSH_RUNTIME_PRIVATE_H
#define LSH_RUNTIME_PRIVATE_H

#include "lua_shim.h"
#include <stdatomic.h>

struct lsh_runtime {
  size_t used;          /* bytes Lua holds now */
  size_t limit;         /* cap in bytes, 0 = none */
  int enforce;          /* the cap applies only while Lua code (not Swift) runs */
  atomic_int interrupt; /* LSH_INTERRUPT_*; set from any thread */
  double deadline;      /* monotonic seconds, 0 = none */
  _Atomic(lua_State *) current; /* the thread running Lua code now, for lsh_interrupt */
  void *host;
  lsh_call_fn call;
  lsh_block_fn block;
  lsh_warn_fn warn;
  int warn_on;
  int warn_cont;
  size_t warn_len;
  char warn_buf[1024];
};

/* The runtime lives behind a pointer in every thread's extra space. */
static inline lsh_runtime *lsh_rt(lua_State *L) { return *(lsh_runtime **)lua_getextraspace(L); }

/* Runs Swift with the cap lifted (Swift frames must never see an allocation failure). */
#define LSH_OUTSIDE_CAP(rt, stmt)  \
  do {                             \
    int lsh_saved_ = (rt)->enforce; \
    (rt)->enforce = 0;             \
    stmt;                          \
    (rt)->enforce = lsh_saved_;    \
  } while (0)

/* Registry keys (addresses are unique). */
extern const char lsh_sentinel_key;
extern const char lsh_hostthreads_key;
extern const char lsh_waiting_key;

/* Adds `where` (file:line of the caller at `level`) to a table error on top; then raises. */
int lsh_raise(lua_State *L, int level);
/* Gives a thread about to run the hook it needs (armed after an interrupt). */
void lsh_enter(lua_State *co, lsh_runtime *rt);
void lsh_install_coroutine_wrappers(lua_State *L);
void lsh_json_setup(lua_State *L);

#endif
