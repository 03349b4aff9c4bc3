#ifndef PROCESS_GUARD_H
#define PROCESS_GUARD_H

#include <spawn.h>

/// Makes this process non-dumpable and turns core dumps off: another process
/// of the same user can then neither read its memory (/proc/<pid>/mem,
/// process_vm_readv, ptrace) nor its /proc/<pid>/environ, and no core file
/// holds the key. Returns 0, or -1 with errno when the kernel refused.
int pg_make_undumpable(void);

/// glibc's posix_spawn_file_actions_addchdir_np (2.29), which Swift's Glibc
/// module does not show: a spawned child starts in `path` with no shell in
/// between to `cd` there. Returns 0 or an error number.
int pg_spawn_add_chdir(posix_spawn_file_actions_t *actions, const char *path);

/// glibc's posix_spawn_file_actions_addclosefrom_np (2.34): the child gets no
/// descriptor from `from` up, whatever was left open without close-on-exec by
/// whoever started us (a CI runner's pipe, make's jobserver). Returns 0 or an
/// error number.
int pg_spawn_add_close_from(posix_spawn_file_actions_t *actions, int from);

#endif
