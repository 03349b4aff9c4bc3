import Foundation

/// A child process in a process group of its own, so that a stop or a
/// timeout reaches everything it started (a shell from `os.execute`, say),
/// as systemd's control groups do. Foundation's `Process` cannot set the group.
///
/// Its stdout and stderr come back on pipes (`OutputTail` keeps the end of
/// them), its report on a third (`ScheduledChild`), and a fourth is its
/// lifeline: the child ends itself when our end closes, which the kernel does
/// when we die.
package struct ChildProcess: Sendable {
  package let pid: pid_t
  /// Our ends: read stdout, stderr and the report; write (hold) the lifeline.
  package let stdout: Int32
  package let stderr: Int32
  package let report: Int32
  package let lifeline: Int32

  package enum Exit: Equatable {
    case code(Int32)
    case signal(Int32)
  }

  package struct SpawnError: Error, CustomStringConvertible {
    package var description: String
  }

  /// Starts `executable` with `arguments` in `directory`, stdin from /dev/null,
  /// SIGINT and SIGTERM back to their defaults, and `environment` plus the
  /// names of the report and lifeline descriptors.
  /// - Parameter input: what the run is given besides its arguments
  ///   (`RunInput`: the event, the sync tokens), on a descriptor of its own.
  /// - Parameter niceness: how much lower than ours the child's CPU priority is.
  /// - Parameter attached: whether the child is an `ashby-lua run` that reads
  ///   the descriptors' names (`ScheduledChild`); a shell command is not told them.
  /// - Parameter ownGroup: a process group of its own, which `signal` reaches whole (a run);
  ///   without one it shares our terminal and our Ctrl-C (a secret's command).
  package static func spawn(
    _ executable: String, _ arguments: [String], directory: String, environment: [String], input: Data? = nil,
    niceness: Int32 = 0, attached: Bool = true, ownGroup: Bool = true
  ) throws -> ChildProcess {
    // One spawn at a time: between pipe() and FD_CLOEXEC another child could
    // inherit this one's lifeline, and then neither would see the daemon die.
    try spawnLock.withLock {
      try spawnLocked(
        executable, arguments, directory: directory, environment: environment, input: input, niceness: niceness,
        attached: attached, ownGroup: ownGroup)
    }
  }

  /// An unlinked temporary file holding `data`, read from its start: no name
  /// anyone could open, gone with its last descriptor, and no pipe to keep
  /// fed (a megabyte of event needs no writer thread).
  package static func memoryFile(_ data: Data) throws -> Int32 {
    let folder = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
    var template = Array((folder + "/ashby-lua-input.XXXXXX").utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.map { mkstemp($0) } ?? -1 }
    guard fd >= 0 else { throw SpawnError(description: "cannot make the run's input: \(String(cString: strerror(errno)))") }
    template.withUnsafeBufferPointer { buffer in _ = buffer.baseAddress.map { unlink($0) } }
    _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    var sent = 0
    let ok = data.withUnsafeBytes { buffer -> Bool in
      while sent < buffer.count, let base = buffer.baseAddress {
        let n = write(fd, base + sent, buffer.count - sent)
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { return false }
        sent += n
      }
      return true
    }
    guard ok, lseek(fd, 0, SEEK_SET) == 0 else {
      close(fd)
      throw SpawnError(description: "cannot write the run's input: \(String(cString: strerror(errno)))")
    }
    return fd
  }

  private static let spawnLock = NSLock()


  private static func spawnLocked(
    _ executable: String, _ arguments: [String], directory: String, environment: [String], input: Data?,
    niceness: Int32, attached: Bool, ownGroup: Bool
  ) throws -> ChildProcess {
    let inputFD = try input.map(memoryFile)
    defer { if let inputFD { close(inputFD) } }
    var pipes: [[Int32]] = []
    for _ in 0..<4 {
      var fds: [Int32] = [0, 0]
      guard pipe(&fds) == 0 else {
        pipes.flatMap { $0 }.forEach { close($0) }
        throw SpawnError(description: "cannot make a pipe: \(String(cString: strerror(errno)))")
      }
      for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
      pipes.append(fds)
    }
    let (out, err, rep, life) = (pipes[0], pipes[1], pipes[2], pipes[3])
    // The child's ends: it has its copies once it has started.
    defer { for fd in [out[1], err[1], rep[1], life[0]] { close(fd) } }
    return try withSpawnSettings(ownGroup: ownGroup) { attributes, actions in
      try spawnPrepared(
        executable, arguments, directory: directory, environment: environment, inputFD: inputFD, niceness: niceness,
        attached: attached, pipes: (out, err, rep, life), attributes: &attributes, actions: &actions)
    }
  }

  /// posix_spawn's attributes and file actions for `body`, destroyed after it. Every child of ours starts
  /// with SIGINT, SIGTERM and SIGHUP at their defaults (ours may be caught or ignored) and, with
  /// `ownGroup`, in a process group of its own, which a signal reaches whole.
  package static func withSpawnSettings<T>(
    ownGroup: Bool, _ body: (inout posix_spawnattr_t, inout posix_spawn_file_actions_t) throws -> T
  ) rethrows -> T {
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
    for signal in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&defaults, signal) }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setpgroup(&attributes, 0)
    posix_spawnattr_setflags(&attributes, Int16((ownGroup ? POSIX_SPAWN_SETPGROUP : 0) | POSIX_SPAWN_SETSIGDEF))
    return try body(&attributes, &actions)
  }

  private static func spawnPrepared(
    _ executable: String, _ arguments: [String], directory: String, environment: [String], inputFD: Int32?,
    niceness: Int32, attached: Bool, pipes: (out: [Int32], err: [Int32], rep: [Int32], life: [Int32]),
    attributes: inout posix_spawnattr_t, actions: inout posix_spawn_file_actions_t
  ) throws -> ChildProcess {
    let (out, err, rep, life) = pipes
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, out[1], 1)
    posix_spawn_file_actions_adddup2(&actions, err[1], 2)
    posix_spawn_file_actions_adddup2(&actions, rep[1], ScheduledChild.reportFD)
    posix_spawn_file_actions_adddup2(&actions, life[0], ScheduledChild.lifelineFD)
    if let inputFD { posix_spawn_file_actions_adddup2(&actions, inputFD, ScheduledChild.inputFD) }

    let descriptors =
      attached
      ? [
        "\(ScheduledChild.reportVariable)=\(ScheduledChild.reportFD)",
        "\(ScheduledChild.lifelineVariable)=\(ScheduledChild.lifelineFD)",
      ] + (inputFD == nil ? [] : ["\(ScheduledChild.inputVariable)=\(ScheduledChild.inputFD)"]) : []
    let names = descriptors + ["\(ScheduledChild.directoryVariable)=\(directory)"]
    let pid: pid_t
    do {
      pid = try posixSpawn(executable, arguments, environment: environment + names, attributes: &attributes, actions: &actions)
    } catch {
      for fd in [out[0], err[0], rep[0], life[1]] { close(fd) }
      throw error
    }
    // Set now, before the child has started a second thread (each new one inherits it).
    if niceness > 0 {
      let which = __priority_which_t(PRIO_PROCESS.rawValue)
      _ = setpriority(which, id_t(pid), getpriority(which, 0) + niceness)
    }
    return ChildProcess(pid: pid, stdout: out[0], stderr: err[0], report: rep[0], lifeline: life[1])
  }

  /// `posix_spawn` of `executable` with `arguments` (its `argv[0]` is `executable`) and `environment`
  /// (`NAME=value` entries).
  package static func posixSpawn(
    _ executable: String, _ arguments: [String], environment: [String], attributes: inout posix_spawnattr_t,
    actions: inout posix_spawn_file_actions_t
  ) throws -> pid_t {
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp = environment.map { strdup($0) } + [nil]
    defer {
      argv.forEach { free($0) }
      envp.forEach { free($0) }
    }
    var pid = pid_t()
    let status = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
    guard status == 0 else { throw startFailure(executable, status) }
    return pid
  }

  /// Why `executable` could not be started, from posix_spawn's error number.
  package static func startFailure(_ executable: String, _ code: Int32) -> SpawnError {
    SpawnError(description: "cannot start \(executable): \(String(cString: strerror(code)))")
  }

  /// Sends `signal` to the child's whole process group.
  package func signal(_ number: Int32) { kill(-pid, number) }

  /// Waits for the child to end, whether or not the caller is cancelled (a
  /// cancelled caller still needs the exit status). Polls: no thread blocks.
  /// Whatever the child left running in its group (a shell from
  /// `os.execute`) is killed once it has ended, before it is reaped: until
  /// then its pid, the group's id, cannot be reused, so the signal cannot
  /// reach anyone else. Our end of the lifeline closes last.
  package func exit() async -> Exit {
    let pid = self.pid
    let lifeline = self.lifeline
    let waiter = Task.detached { () -> Exit in
      defer { close(lifeline) }
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
