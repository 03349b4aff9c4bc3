/*
 * The state: creation with the counting allocator, the libraries, `warn`,
 * and the panic handler. Why C: lua_atpanic and lua_setwarnf take C functions.
 */
#include "runtime_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char lsh_sentinel_key = 0;
const char lsh_hostthreads_key = 0;
const char lsh_waiting_key = 0;

static int panic(lua_State *L) {
  const char *msg = lua_tostring(L, -1);
  fprintf(stderr, "ashby-lua: unprotected Lua error (%s)\n", msg ? msg : "?");
  fflush(stderr);
  abort();
}

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

lua_State *lsh_newstate(void *host, lsh_call_fn call, lsh_block_fn block, lsh_release_fn release, lsh_warn_fn warn) {
  lsh_runtime *rt = calloc(1, sizeof(lsh_runtime));
  if (rt == NULL) return NULL;
  atomic_init(&rt->interrupt, LSH_INTERRUPT_NONE);
  atomic_init(&rt->interrupts, 0);
  atomic_init(&rt->in_run, 0);
  atomic_init(&rt->watch, 0);
  atomic_init(&rt->current, NULL);
  rt->host = host;
  rt->call = call;
  rt->block = block;
  rt->release = release;
  rt->warn = warn;
  lua_State *L = lua_newstate(lsh_counting_alloc(), rt);
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

void lsh_set_host(lua_State *L, void *host) { lsh_rt(L)->host = host; }

static void weak_key_table(lua_State *L, const void *key) {
  lua_newtable(L);
  lua_newtable(L);
  lua_pushliteral(L, "k");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, key);
}

static int openlibs(lua_State *L) {
  luaL_openlibs(L);
  weak_key_table(L, &lsh_hostthreads_key);
  weak_key_table(L, &lsh_waiting_key);
  lsh_errors_setup(L);
  lsh_function_boxes_setup(L);
  lsh_install_coroutine_wrappers(L);
  lsh_json_setup(L);
  return 0;
}

int lsh_openlibs(lua_State *L) {
  lua_pushcfunction(L, openlibs);
  return lsh_pcall(L, 0, 0, 0);
}
