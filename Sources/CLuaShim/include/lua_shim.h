/*
 * lua_shim.h — everything Swift needs from Lua that must not be Swift.
 *
 * The longjmp policy (docs/async.md): only C calls lua_error / lua_yieldk.
 * Swift callbacks return a status (LSH_ERROR, LSH_WAIT or a result count) and
 * the trampoline here turns it into a raise, a yield or a return. Lua's macros
 * are re-exposed as static inline functions so Swift can call them.
 * Every exported symbol carries the `lsh_` prefix.
 */
#ifndef LUA_SHIM_H
#define LUA_SHIM_H

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stddef.h>
#include <stdint.h>

/* Statuses a Swift callback returns to its trampoline (>= 0: number of results). */
#define LSH_ERROR (-1) /* the error value is on top of the stack: raise it */
#define LSH_WAIT (-2)  /* a host wait: its request id is on top of the stack */

/* Why the count hook stops a script. */
#define LSH_INTERRUPT_NONE 0
#define LSH_INTERRUPT_CANCEL 1
#define LSH_INTERRUPT_TIMEOUT 2
#define LSH_INTERRUPT_MEMORY 3 /* not an interrupt: the kind of limit error, for lsh_push_limit_error */

/* Dispatches a call of a registered Swift function; `box` identifies it. */
typedef int (*lsh_call_fn)(lua_State *L, void *box);
/* Waits on the VM thread for one completion; pushes `ok, values...`; returns how many. */
typedef int (*lsh_block_fn)(lua_State *L, lua_Integer id, void *host);
/* Lets go of a function's `box` once its Lua value is collected (or the state closes). Does no Lua work. */
typedef void (*lsh_release_fn)(void *box);
/* Receives one complete `warn` message. */
typedef void (*lsh_warn_fn)(void *host, const char *msg, size_t len);

typedef struct lsh_runtime lsh_runtime;

/* Creates a state with the counting allocator; NULL when out of memory. */
lua_State *lsh_newstate(void *host, lsh_call_fn call, lsh_block_fn block, lsh_release_fn release, lsh_warn_fn warn);
/* Closes the state and frees the runtime. */
void lsh_close(lua_State *L);

/// Opens `path` (relative) for reading inside the folder `dirfd`, in one step
/// that cannot leave it (openat2 RESOLVE_BENEATH; without it, no symlink is
/// followed). -1 with errno when it cannot.
int lsh_open_beneath(int dirfd, const char *path);
/// A folder held open (O_PATH) as the root of `lsh_open_beneath`; -1 with errno.
int lsh_open_folder(const char *path);
/* Sets the pointer handed back to the block and warn callbacks. */
void lsh_set_host(lua_State *L, void *host);
/* Opens the standard libraries and installs the host's pieces (protected). */
int lsh_openlibs(lua_State *L);

/* Memory cap in bytes (0 = none), the bytes in use now, and the cap. */
void lsh_set_memory_limit(lua_State *L, size_t bytes);
size_t lsh_memory_used(lua_State *L);
size_t lsh_memory_limit(lua_State *L);

/* A run's time limit (seconds, 0 = none). While one is set, threads carry a
   count hook that enforces it, and lsh_watch_deadline says when the watchdog
   must end the run instead (half the limit later, 0.25 to 2 s). */
void lsh_begin_run(lua_State *L, double seconds);
/* After the run: clears the interrupt; `<close>` handlers and describing the
   error get until half way to the watchdog's time (or 1 s without a limit). */
void lsh_begin_cleanup(lua_State *L);
void lsh_end_run(lua_State *L);
double lsh_run_deadline(lua_State *L);
/* Thread-safe: monotonic seconds past which the run must be ended from outside, 0 = none. */
double lsh_watch_deadline(lua_State *L);
double lsh_now(void);
/* Thread-safe: asks the running script to stop (LSH_INTERRUPT_*); returns how
   many cancels this run has had, this one included (0 for other reasons, and
   while no run is going). */
int lsh_interrupt(lua_State *L, int why);
int lsh_interrupted(lua_State *L);
void lsh_clear_interrupt(lua_State *L);
/* The one place limit messages are worded ("time limit of 2 s exceeded"); returns the length. */
size_t lsh_limit_message(lua_State *L, int why, char *buf, size_t size);
/* Pushes the error table for `why` (LSH_INTERRUPT_TIMEOUT, _CANCEL or _MEMORY). Never raises. */
void lsh_push_limit_error(lua_State *L, int why);

/* Pushes a C closure that dispatches to the Swift function `box`, which it owns from now on: the
   closure's upvalue is a userdata whose `__gc` hands the box to `release` when the closure is collected. */
void lsh_push_function(lua_State *L, void *box);
/* lua_resume / lua_pcall with the memory cap enforced while Lua code runs. */
int lsh_resume(lua_State *co, lua_State *from, int nargs, int *nres);
int lsh_pcall(lua_State *L, int nargs, int nresults, int msgh);
/* lua_resetthread (closes pending to-be-closed variables) under the cap. */
int lsh_resetthread(lua_State *co);
/* Pushes the message handler that keeps table errors as tables and records a traceback. */
void lsh_push_msgh(lua_State *L);
/* Pushes the traceback recorded by the last message handler run (or nil). */
void lsh_push_last_traceback(lua_State *L);

/* The private sentinel a host wait yields, and helpers around it. */
int lsh_is_sentinel(lua_State *L, int idx);
/* Marks the thread at idx as a host thread (top level looks like the main thread). */
void lsh_mark_host_thread(lua_State *L, int idx);

/* Pushes the host's error metatable (locked: scripts can neither see nor change it). */
void lsh_push_error_mt(lua_State *L);
/* Pops a function and makes it the error metatable's __tostring. */
void lsh_set_error_tostring(lua_State *L);
/* Whether the value at idx is a table with the host's error metatable (raw check). */
int lsh_is_host_error(lua_State *L, int idx);
/* Protected tostring: pushes the string (or the error); returns a Lua status. */
int lsh_tostring(lua_State *L, int idx);
/* Protected luaL_traceback of co (or L) with msg; pushes the string. */
int lsh_traceback(lua_State *L, lua_State *co, const char *msg, int level);

/* JSON: lua_CFunctions, and a protected decode of raw bytes under the memory cap
   (pushes the value or the error; L may be a suspended coroutine). */
int lsh_json_decode(lua_State *L);
int lsh_json_encode(lua_State *L);
int lsh_json_decode_bytes(lua_State *L, const char *bytes, size_t len);
/* Pushes json.null (a light userdata) / marks the table at idx as a JSON array. */
int lsh_json_push_module(lua_State *L);
void lsh_push_null(lua_State *L);
int lsh_is_null(lua_State *L, int idx);
void lsh_mark_array(lua_State *L, int idx);
int lsh_is_marked_array(lua_State *L, int idx);

/* Pushes `after(f, post)` (after.c): f, then post(first result, first argument). */
void lsh_push_after(lua_State *L);

/* Lua's macros as functions Swift can call. */
static inline void lsh_pop(lua_State *L, int n) { lua_pop(L, n); }
static inline void lsh_newtable(lua_State *L) { lua_newtable(L); }
static inline int lsh_isnoneornil(lua_State *L, int idx) { return lua_isnoneornil(L, idx); }
static inline void lsh_pushglobaltable(lua_State *L) { lua_pushglobaltable(L); }
static inline int lsh_upvalueindex(int i) { return lua_upvalueindex(i); }
static inline int lsh_registryindex(void) { return LUA_REGISTRYINDEX; }
static inline lua_Number lsh_tonumber(lua_State *L, int idx) { return lua_tonumberx(L, idx, NULL); }
static inline lua_Integer lsh_tointeger(lua_State *L, int idx) { return lua_tointegerx(L, idx, NULL); }
static inline const char *lsh_tolstring(lua_State *L, int idx, size_t *len) { return lua_tolstring(L, idx, len); }
static inline lua_State *lsh_tothread(lua_State *L, int idx) { return lua_tothread(L, idx); }
static inline int lsh_loadbuffer(lua_State *L, const char *buf, size_t len, const char *name, const char *mode) {
  return luaL_loadbufferx(L, buf, len, name, mode);
}
static inline const char *lsh_typename(lua_State *L, int idx) { return lua_typename(L, lua_type(L, idx)); }
static inline int lsh_getmetatable_named(lua_State *L, const char *name) { return luaL_getmetatable(L, name); }
static inline void lsh_insert(lua_State *L, int idx) { lua_insert(L, idx); }
static inline void lsh_remove(lua_State *L, int idx) { lua_remove(L, idx); }

#endif
