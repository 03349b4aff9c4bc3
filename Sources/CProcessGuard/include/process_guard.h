#ifndef PROCESS_GUARD_H
#define PROCESS_GUARD_H

/// Makes this process non-dumpable and turns core dumps off: another process
/// of the same user can then neither read its memory (/proc/<pid>/mem,
/// process_vm_readv, ptrace) nor its /proc/<pid>/environ, and no core file
/// holds the key. Returns 0, or -1 with errno when the kernel refused.
int pg_make_undumpable(void);

#endif
