import CProcessGuard
import Foundation
import Synchronization

/// One `ashby-lua` command as a child process, its output captured whole: a
/// script under test (`ashby.test.run`), an agent's script, a plan shown or
/// applied (`ashby-lua mcp`). Past its limit, or when the calling task is
/// cancelled, the child is killed; a runaway script ends its child only.
package struct CapturedRun: Sendable {
  package struct Outcome: Sendable {
    package var stdout: String
    package var stderr: String
    package var exit: Int32
    /// Killed at its limit.
    package var timedOut: Bool
    package var seconds: Double

    /// `ashby-lua: MESSAGE` on stderr: the message of the error that ended the run.
    package var errorMessage: String? {
      stderr.split(separator: "\n").first { $0.hasPrefix("ashby-lua: ") }.map { String($0.dropFirst(11)) }
    }
  }

  package let program: String
  package let environment: [String: String]
  /// Each child in a process group of its own, which a kill reaches whole (what its script started, too).
  /// A child that shares ours instead gets the terminal's Ctrl-C along with us (`ashby-lua test`, which
  /// has no signal handling of its own to pass one on).
  package let ownGroup: Bool
  /// Where the output is kept while the child runs.
  package let folder: URL
  /// The children running now, to end with their parent (`killAll`).
  private let running = Running()

  final class Running: Sendable {
    struct Children {
      var pids: Set<Int32> = []
      /// Set by `killAll`: no child starts after it.
      var stopped = false
    }
    let children = Mutex(Children())
  }

  /// Ends every child running now, and what each started (the parent is stopping: nothing of theirs
  /// outlives it).
  package func killAll() {
    running.children.withLock { children in
      children.stopped = true
      for pid in children.pids { kill(ownGroup ? -pid : pid, SIGKILL) }
    }
  }

  package init(program: String, environment: [String: String], folder: URL, ownGroup: Bool) {
    self.program = program
    self.environment = environment
    self.folder = folder
    self.ownGroup = ownGroup
  }

  /// Runs `arguments` in `directory`; kills the child after `limit` seconds, or when the calling task is cancelled.
  ///
  /// Started with `posix_spawn` (in a process group of its own, with `ownGroup`), and waited for by a
  /// thread blocked in `waitid`: woken by the exit itself. Foundation's `Process` relays the exit through its own run-loop
  /// thread and scans every descriptor before each start, which cost an agent's empty script a quarter
  /// more than the child's own run (`scripts/bench mcp`); nor can it give the child a group.
  package func run(_ arguments: [String], limit: Double, in directory: URL? = nil) async throws -> Outcome {
    let id = UUID().uuidString
    let out = folder.appendingPathComponent("\(id).out"), err = folder.appendingPathComponent("\(id).err")
    defer {
      unlink(out.path)
      unlink(err.path)
    }
    let started = ContinuousClock.now
    // Spawned and recorded under one lock: `killAll` finds every child that exists.
    let pid = try running.children.withLock { children in
      guard !children.stopped else {
        throw ChildProcess.SpawnError(description: "not started: \(program)'s parent is stopping")
      }
      let pid = try spawn(arguments, stdout: out.path, stderr: err.path, directory: directory?.path)
      _ = children.pids.insert(pid)
      return pid
    }
    let killed = Mutex(false)
    let killer = Task {
      try await Task.sleep(for: .seconds(limit))
      killed.withLock { $0 = true }
      end(pid)
    }
    // A cancelled call still waits for the child it killed: its status is read only once it has ended.
    let status = await withTaskCancellationHandler {
      await reap(pid)
    } onCancel: {
      end(pid)
    }
    killer.cancel()
    let elapsed = ContinuousClock.now - started
    return Outcome(
      stdout: Self.head(of: out), stderr: Self.head(of: err), exit: status, timedOut: killed.withLock { $0 },
      seconds: elapsed / .seconds(1))
  }

  /// `program` with `arguments`, stdin from /dev/null, stdout and stderr into the files (made here, 0600:
  /// they hold candidates' data), no other descriptor of ours, `withSpawnSettings`' signals and group.
  private func spawn(_ arguments: [String], stdout: String, stderr: String, directory: String?) throws -> pid_t {
    try ChildProcess.withSpawnSettings(ownGroup: ownGroup) { attributes, actions in
      posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
      posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
      posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
      let closing = pg_spawn_add_close_from(&actions, 3)
      guard closing == 0 else { throw ChildProcess.startFailure(program, closing) }
      if let directory {
        let failed = pg_spawn_add_chdir(&actions, directory)
        guard failed == 0 else { throw ChildProcess.startFailure(program, failed) }
      }
      return try ChildProcess.posixSpawn(
        program, arguments, environment: environment.map { "\($0.key)=\($0.value)" }, attributes: &attributes,
        actions: &actions)
    }
  }

  /// Kills the child (its group, when it has one), unless the child has been reaped: its pid may be
  /// someone else's by then.
  private func end(_ pid: pid_t) {
    running.children.withLock { children in if children.pids.contains(pid) { kill(ownGroup ? -pid : pid, SIGKILL) } }
  }

  /// The child's exit code (`128 + N` for a signal), once it has ended. Whatever it left running in its
  /// group goes then, before the child is reaped: until that moment the group's id is the child's own.
  private func reap(_ pid: pid_t) async -> Int32 {
    await withCheckedContinuation { (done: CheckedContinuation<Int32, Never>) in
      let running = self.running, ownGroup = self.ownGroup
      let waiter = Thread {
        var info = siginfo_t()
        var ended = waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT)
        while ended < 0 && errno == EINTR { ended = waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) }
        running.children.withLock { children in
          // Only a child known to have ended and not yet reaped still owns its group's id.
          if ended == 0 && ownGroup { kill(-pid, SIGKILL) }
          var status: Int32 = 0
          var reaped = waitpid(pid, &status, 0)
          while reaped < 0 && errno == EINTR { reaped = waitpid(pid, &status, 0) }
          _ = children.pids.remove(pid)
          let signal = status & 0x7f
          // -1: reaped by someone else (a SIGCHLD set to be ignored), its status unknown; never a false 0.
          done.resume(returning: reaped != pid ? -1 : signal == 0 ? (status >> 8) & 0xff : ExitStatus.signalled(signal))
        }
      }
      waiter.name = "ashby-lua child \(pid)"
      waiter.start()
    }
  }

  /// What is read of each stream at most: a script that prints gigabytes costs its caller a megabyte.
  package static let maxBytes = 1 << 20

  /// The first `maxBytes` of a file, as text.
  static func head(of file: URL) -> String {
    guard let handle = try? FileHandle(forReadingFrom: file) else { return "" }
    defer { try? handle.close() }
    let data = (try? handle.read(upToCount: maxBytes)) ?? nil
    return String(decoding: data ?? Data(), as: UTF8.self)
  }
}

extension ProcessSecrets {
  /// `environmentForChild()` as a dictionary, without the variables `dropping` says.
  package static func childEnvironment(dropping drop: (String) -> Bool = { _ in false }) -> [String: String] {
    var environment: [String: String] = [:]
    for entry in environmentForChild() {
      guard let equals = entry.firstIndex(of: "=") else { continue }
      let name = String(entry[..<equals])
      if !drop(name) { environment[name] = String(entry[entry.index(after: equals)...]) }
    }
    return environment
  }
}
