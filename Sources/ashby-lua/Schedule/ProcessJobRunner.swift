import AshbyScheduler
import LuaHost
import Foundation
import Synchronization

/// Runs each attempt as `ashby-lua run` in a child process, as systemd and
/// Kubernetes do: a script that crashes, hangs in C or calls `os.exit` takes
/// only itself down, and every run starts with fresh memory.
///
/// The child enforces the time limit itself (`--timeout`, which `pcall`
/// cannot swallow, though a blocking C call such as `os.execute` can outlast
/// it); the parent kills it outright if it is still there a grace period
/// later. Cancellation sends SIGINT, then SIGKILL five seconds on.
struct ProcessJobRunner: JobRunner {
  /// The `ashby-lua` binary.
  let executable: String
  /// Flags for every run: connection (`--fake`, `--base-url`, `--profile`, ...) and forced ones.
  let flags: [String]
  let forceDryRun: Bool
  let forceSandbox: Bool
  /// `--timeout` given to `schedule run`: no job may take longer.
  let timeoutCap: Double?
  /// Seconds past the time limit before the parent kills the child: 5 to 15.
  static func killGrace(_ timeout: Double) -> Double { min(15, max(5, timeout)) }

  /// The job's own time limit, under the cap.
  func timeout(for job: ScheduledJob) -> Double { min(job.timeout, timeoutCap ?? job.timeout) }

  func arguments(for job: ScheduledJob, report: String) -> [String] {
    var args =
      ["run", "--report", report, "--directory", job.directory, "--timeout", String(timeout(for: job))] + flags
    if job.sandbox || forceSandbox { args.append("--sandbox") }
    if job.dryRun || forceDryRun { args.append("--dry-run") }
    return args + [job.script] + job.args
  }

  func run(_ job: ScheduledJob) async -> RunOutcome {
    let report = FileManager.default.temporaryDirectory.appendingPathComponent(
      "ashby-lua-run-\(UUID().uuidString).json"
    )
    .path
    defer { try? FileManager.default.removeItem(atPath: report) }
    let child: ChildProcess
    do {
      child = try ChildProcess.spawn(executable, arguments(for: job, report: report))
    } catch {
      return RunOutcome(status: .failed, exitCode: 2, error: "\(error)")
    }
    let limit = timeout(for: job) + Self.killGrace(timeout(for: job))
    let watchdog = Task {
      try await Task.sleep(nanoseconds: UInt64(limit * 1e9))
      child.signal(SIGKILL)
    }
    let stopping = StopTimer()
    let exit = await withTaskCancellationHandler {
      await child.exit()
    } onCancel: {
      child.signal(SIGINT)
      stopping.start {
        try await Task.sleep(nanoseconds: 5_000_000_000)
        child.signal(SIGKILL)
      }
    }
    // Once the child is reaped its pid may be reused: no signal may follow.
    watchdog.cancel()
    stopping.cancel()
    return outcome(exit, report: RunReport.read(from: report), job: job, limit: limit, cancelled: Task.isCancelled)
  }

  func outcome(_ exit: ChildProcess.Exit, report: RunReport?, job: ScheduledJob, limit: Double, cancelled: Bool)
    -> RunOutcome
  {
    let code: Int
    switch exit {
    case .signal(let number):
      if cancelled { return RunOutcome(status: .cancelled, exitCode: 130, error: "stopped") }
      let killed = number == SIGKILL
      return RunOutcome(
        status: killed ? .timeout : .failed, exitCode: 128 + Int(number),
        error: killed ? "killed after \(Int(limit)) s: the time limit could not stop it" : "ended by signal \(number)")
    case .code(let c):
      code = Int(c)
    }
    let dryRun = job.dryRun || forceDryRun
    let writes = report.map { dryRun ? $0.planned : $0.writes } ?? 0
    let error = report?.error ?? (code == 0 ? nil : "exited with status \(code)")
    let status: RunStatus
    if cancelled || code == 130 {
      status = .cancelled
    } else if code == 0 {
      status = .ok
    } else {
      status = report?.kind == LuaErrorKind.limit.rawValue && (report?.error ?? "").contains("time limit") ? .timeout : .failed
    }
    return RunOutcome(
      status: status, exitCode: code, error: status == .ok ? nil : error, writes: writes, dryRun: dryRun)
  }
}

/// The SIGKILL that follows a SIGINT if the child does not stop, cancellable once it has.
private final class StopTimer: Sendable {
  private let task = Mutex<Task<Void, any Error>?>(nil)
  func start(_ body: @escaping @Sendable () async throws -> Void) { task.withLock { $0 = Task(operation: body) } }
  func cancel() { task.withLock { $0?.cancel() } }
}
