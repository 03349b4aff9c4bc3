// Opening a module file inside the script's folder in one step that cannot
// leave it: checking a resolved path and then opening it by name is a race
// (another process can swap a folder for a symlink in between).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lua_shim.h"

/// Without openat2 (Linux < 5.6, or a seccomp filter that refuses it): each
/// component opened in turn with O_NOFOLLOW, so no symlink is followed at all.
static int open_each_component(int dirfd, const char *path) {
  char part[256];
  int current = dirfd;
  const char *p = path;
  for (;;) {
    const char *slash = strchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : strlen(p);
    if (n == 0 || n >= sizeof part) {
      if (current != dirfd) close(current);
      errno = ENOENT;
      return -1;
    }
    memcpy(part, p, n);
    part[n] = 0;
    int flags = slash ? (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : (O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    int next = openat(current, part, flags);
    int saved = errno;
    if (current != dirfd) close(current);
    if (next < 0) {
      errno = saved;
      return -1;
    }
    if (!slash) return next;
    current = next;
    p = slash + 1;
  }
}

int lsh_open_beneath(int dirfd, const char *path) {
#ifdef SYS_openat2
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
  if (fd >= 0) return (int)fd;
  if (errno != ENOSYS && errno != EPERM) return -1;
#endif
  return open_each_component(dirfd, path);
}

int lsh_open_folder(const char *path) { return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC); }
