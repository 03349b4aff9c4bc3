import Foundation

/// A child process in a process group of its own, so that a stop or a
/// timeout reaches everything it started (a shell from `os.execute`, say),
/// as systemd's control groups do. Foundation's `Process` cannot set the group.
struct ChildProcess: Sendable {
  let pid: pid_t

  enum Exit: Equatable {
    case code(Int32)
    case signal(Int32)
  }

  struct SpawnError: Error, CustomStringConvertible {
    var description: String
  }

  /// Starts `executable` with `arguments`, stdin from /dev/null, stdout and
  /// stderr shared with us, SIGINT and SIGTERM back to their defaults, and our
  /// environment plus the API key (which ours no longer holds).
  static func spawn(_ executable: String, _ arguments: [String]) throws -> ChildProcess {
    var attributes = posix_spawnattr_t()
    var actions = posix_spawn_file_actions_t()
    posix_spawnattr_init(&attributes)
    posix_spawn_file_actions_init(&actions)
    defer {
      posix_spawnattr_destroy(&attributes)
      posix_spawn_file_actions_destroy(&actions)
    }
    var defaults = sigset_t()
    sigemptyset(&defaults)
    sigaddset(&defaults, SIGINT)
    sigaddset(&defaults, SIGTERM)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setpgroup(&attributes, 0)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF))
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)

    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp = ProcessSecrets.environmentForChild().map { strdup($0) } + [nil]
    defer {
      argv.forEach { free($0) }
      envp.forEach { free($0) }
    }
    var pid = pid_t()
    let status = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
    guard status == 0 else {
      throw SpawnError(description: "cannot start \(executable): \(String(cString: strerror(status)))")
    }
    return ChildProcess(pid: pid)
  }

  /// Sends `signal` to the child's whole process group.
  func signal(_ number: Int32) { kill(-pid, number) }

  /// Waits for the child to end, whether or not the caller is cancelled (a
  /// cancelled caller still needs the exit status). Polls: no thread blocks.
  /// Whatever the child left running in its group (a shell from
  /// `os.execute`) is killed once it has ended, before it is reaped: until
  /// then its pid, the group's id, cannot be reused, so the signal cannot
  /// reach anyone else.
  func exit() async -> Exit {
    let pid = self.pid
    let waiter = Task.detached { () -> Exit in
      while true {
        var info = siginfo_t()
        if waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0, info._sifields._sigchld.si_pid == pid {
          kill(-pid, SIGKILL)
        }
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        if r == pid {
          let low = status & 0x7f
          return low == 0 ? .code((status >> 8) & 0xff) : .signal(low)
        }
        if r < 0 && errno != EINTR { return .code(-1) }
        try? await Task.sleep(nanoseconds: 20_000_000)
      }
    }
    return await waiter.value
  }
}
