#define _GNU_SOURCE
#include "process_guard.h"

#include <spawn.h>
#include <sys/prctl.h>
#include <sys/resource.h>

int pg_make_undumpable(void) {
  struct rlimit none = {0, 0};
  int cores = setrlimit(RLIMIT_CORE, &none);
  int dumpable = prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  return cores == 0 && dumpable == 0 ? 0 : -1;
}

int pg_spawn_add_chdir(posix_spawn_file_actions_t *actions, const char *path) {
  return posix_spawn_file_actions_addchdir_np(actions, path);
}

int pg_spawn_add_close_from(posix_spawn_file_actions_t *actions, int from) {
  return posix_spawn_file_actions_addclosefrom_np(actions, from);
}
