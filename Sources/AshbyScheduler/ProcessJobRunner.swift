import AshbyJSON
import AshbyProcess
import AshbyState
import Foundation
import Synchronization

/// Runs each attempt as `ashby-lua run` in a child process, as systemd and
/// Kubernetes do: a script that crashes, hangs in C or calls `os.exit` takes
/// only itself down, and every run starts with fresh memory.
///
/// The run's settings go to it as data, with its input (`RunInput`), not as
/// flags: its command line is `run SCRIPT ARGS...`.
///
/// The child enforces the time limit itself (`timeout`, which neither
/// `pcall` nor C code can outlast: its watchdog ends the process); the parent
/// kills the group outright if it is still there a grace period later.
/// Cancellation sends SIGINT, then SIGKILL five seconds on.
public struct ProcessJobRunner: JobRunner {
  /// What happens to a run's output besides the history's copy.
  public enum Echo: Sendable {
    /// To our own stdout and stderr, as it is (`schedule trigger`, in a terminal).
    case passThrough
    /// As lines on the daemon's log, each after the run's label.
    case lines(@Sendable (String) -> Void)
  }

  /// The `ashby-lua` binary.
  let executable: String
  /// Settings for every run: the connection (`fake`, `baseURL`, `profile`, ...), memory, concurrency.
  let base: RunSettings
  let forceDryRun: Bool
  let forceSandbox: Bool
  /// `--timeout` given to `schedule run`: no job may take longer.
  let timeoutCap: Double?
  /// The child's environment: ours, which holds no secret (`ProcessSecrets`).
  let environment: [String]
  /// The key a run calls Ashby with, handed over on its input descriptor.
  let apiKey: String?
  /// Variables no run may see: the hooks' `secret_env` (a script must never hold a webhook secret).
  public let hidden = HiddenVariables()
  /// The schedule file's notify targets, resolved: handed to each run on its input, as the key is.
  public let notifyURLs = NotifyURLs()
  let echo: Echo
  /// How much lower than ours a run's CPU priority is: the daemon sets it so
  /// that it goes on acknowledging deliveries and firing on time while
  /// scripts run; `trigger`, with nothing else to serve, does not.
  let niceness: Int32
  /// The state runs record their writes in (the daemon's), as `RunInput.AuditTarget` carries it.
  let auditState: (spec: String, passwordCommand: String?)?

  public init(
    executable: String, base: RunSettings, forceDryRun: Bool, forceSandbox: Bool, timeoutCap: Double?,
    environment: [String], apiKey: String?, echo: Echo, niceness: Int32 = 0,
    auditState: (spec: String, passwordCommand: String?)? = nil
  ) {
    self.auditState = auditState
    self.apiKey = apiKey
    self.niceness = niceness
    self.executable = executable
    self.base = base
    self.forceDryRun = forceDryRun
    self.forceSandbox = forceSandbox
    self.timeoutCap = timeoutCap
    self.environment = environment
    self.echo = echo
  }

  /// Seconds past the time limit before the parent kills the child: 5 to 15.
  static func killGrace(_ timeout: Double) -> Double { min(15, max(5, timeout)) }

  /// The job's own time limit, under the cap.
  func timeout(for job: ScheduledJob) -> Double { min(job.timeout, timeoutCap ?? job.timeout) }

  /// How `job` runs: the daemon's settings, then the job's keys, then what `schedule` forces.
  func settings(for job: ScheduledJob) -> RunSettings {
    var settings = base
    settings.timeout = timeout(for: job)
    settings.sandbox = base.sandbox || job.sandbox || forceSandbox
    settings.dryRun = job.dryRun || job.planOnly || forceDryRun
    if job.planOnly, let folder = job.plansFolder { settings.planFile = Self.planFile(for: job.name, in: folder) }
    if !job.strictResults { settings.looseResults = true }
    settings.apiVersion = job.apiVersion ?? base.apiVersion
    settings.onBehalfOf = job.onBehalfOf ?? base.onBehalfOf
    settings.rateLimit = job.rateLimit ?? base.rateLimit
    settings.maxWrites = job.maxWrites ?? base.maxWrites
    return settings
  }

  /// A new plan's file: the job's name and the time, so a folder of plans lists in the order they were made.
  static func planFile(for name: String, in folder: String, at now: Date = Date()) -> String {
    let stamp = Timestamps.format(now).replacingOccurrences(of: ":", with: "")  // no colons in a file name
    return URL(fileURLWithPath: folder).appendingPathComponent("\(name)-\(stamp).plan.json").path
  }

  /// The child's command line: the script (an absolute path) and its arguments, nothing else.
  func arguments(for job: ScheduledJob) -> [String] { ["run", job.script] + job.args }

  public func run(_ job: ScheduledJob, label: String) async -> RunOutcome {
    await run(job, label: label, input: RunInput(state: job.name))
  }

  public func run(_ job: ScheduledJob, label: String, input: RunInput) async -> RunOutcome {
    var input = input
    input.apiKey = apiKey
    input.notifyURLs = notifyURLs.current
    input.settings = settings(for: job)
    if let auditState {
      var target = input.audit ?? RunInput.AuditTarget(origin: "job", name: job.name, runID: nil)
      target.state = auditState.spec
      target.passwordCommand = auditState.passwordCommand
      if StateLocation.isPostgres(auditState.spec), auditState.passwordCommand == nil {
        target.password = ProcessSecrets.value("PGPASSWORD")
      }
      input.audit = target
    }
    let child: ChildProcess
    do {
      child = try ChildProcess.spawn(
        executable, arguments(for: job), directory: job.directory, environment: hidden.filter(environment) + job.environment,
        input: input.encoded, niceness: niceness)
    } catch {
      return RunOutcome(status: .failed, exitCode: Int(ExitStatus.usage), error: "\(error)")
    }
    let output = OutputTail([child.stdout, child.stderr], echo: echoer(label: label, stdout: child.stdout))
    let report = ReportReader(child.report)
    let limit = timeout(for: job) + Self.killGrace(timeout(for: job))
    let killed = Atomic(false)
    let watchdog = Task {
      try await Task.sleep(nanoseconds: UInt64(limit * 1e9))  // at most a year and 15 s
      killed.store(true, ordering: .relaxed)
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
    var outcome = self.outcome(
      exit, report: report.report(), job: job, limit: limit, killed: killed.load(ordering: .relaxed),
      cancelled: Task.isCancelled)
    outcome.output = output.text(waiting: 2)
    if outcome.status == .ok, let plan = input.settings?.planFile, FileManager.default.fileExists(atPath: plan) {
      outcome.planFile = plan
    }
    return outcome
  }

  /// `on_failure`: a `.lua` script runs as `ashby-lua run SCRIPT RECORD_JSON`
  /// (sandboxed like the job); anything else is a command for `/bin/sh -c`.
  /// Either way `ASHBY_LUA_RUN` holds the failed run's record as JSON. At most a
  /// minute; its output goes to the daemon's log.
  public func onFailure(_ job: ScheduledJob, record: RunRecord, label: String) async {
    guard let hook = job.onFailure else { return }
    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .iso8601
    var shown = record
    shown.output = nil
    let json = (try? encoder.encode(shown)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    let script = hook.hasSuffix(".lua") ? (hook.hasPrefix("/") ? hook : job.directory + "/" + hook) : nil
    let (program, args): (String, [String]) =
      if let script {
        (executable, ["run", script, json])
      } else {
        ("/bin/sh", ["-c", "cd \"$\(ScheduledChild.directoryVariable)\" && \(hook)"])  // in the schedule's folder, as jobs
      }
    let hookLabel = "\(label) on_failure"
    do {
      let child = try ChildProcess.spawn(
        program, args, directory: job.directory,
        environment: hidden.filter(environment) + job.environment + ["ASHBY_LUA_RUN=\(json)"],
        input: script == nil ? nil : onFailureInput(job).encoded,  // the key for a script only
        attached: script != nil)
      let output = OutputTail([child.stdout, child.stderr], echo: echoer(label: hookLabel, stdout: child.stdout))
      close(child.report)
      let killer = Task {
        try await Task.sleep(nanoseconds: 60_000_000_000)
        child.signal(SIGKILL)
      }
      let exit = await child.exit()
      killer.cancel()
      _ = output.text(waiting: 2)
      if case .lines(let log) = echo { log("\(hookLabel): ended \(exit)") }
    } catch {
      if case .lines(let log) = echo { log("\(hookLabel): \(error)") }
    }
  }

  /// A `.lua` `on_failure`'s input: the daemon's settings, a minute, sandboxed like the job.
  func onFailureInput(_ job: ScheduledJob) -> RunInput {
    var settings = base
    settings.timeout = 60
    settings.sandbox = base.sandbox || job.sandbox || forceSandbox
    var input = RunInput(state: job.name, apiKey: apiKey)
    input.notifyURLs = notifyURLs.current
    input.settings = settings
    return input
  }

  private func echoer(label: String, stdout: Int32) -> @Sendable (Int32, [UInt8]) -> Void {
    switch echo {
    case .passThrough:
      return { fd, bytes in
        let target = fd == stdout ? STDOUT_FILENO : STDERR_FILENO
        bytes.withUnsafeBytes { _ = write(target, $0.baseAddress, $0.count) }
      }
    case .lines(let log):
      let pending = Mutex<[Int32: [UInt8]]>([:])
      return { fd, bytes in
        let lines = pending.withLock { partial -> [String] in
          var buffer = (partial[fd] ?? []) + bytes
          var lines: [String] = []
          while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            lines.append(String(decoding: buffer[..<newline], as: UTF8.self))
            buffer.removeSubrange(...newline)
          }
          partial[fd] = buffer
          return lines
        }
        for line in lines { log("\(label): \(line)") }
      }
    }
  }

  func outcome(
    _ exit: ChildProcess.Exit, report: RunReport?, job: ScheduledJob, limit: Double, killed: Bool, cancelled: Bool
  ) -> RunOutcome {
    let code: Int
    switch exit {
    case .signal(let number):
      if cancelled { return RunOutcome(status: .cancelled, exitCode: Int(ExitStatus.interrupted), error: "stopped") }
      if killed {
        return RunOutcome(
          status: .timeout, exitCode: Int(ExitStatus.signalled(number)),
          error: "killed after \(Int(limit)) s: the time limit could not stop it")
      }
      if [SIGTERM, SIGINT, SIGHUP].contains(number) {
        return RunOutcome(
          status: .interrupted, exitCode: Int(ExitStatus.signalled(number)), error: "stopped by signal \(number) from outside")
      }
      return RunOutcome(status: .failed, exitCode: Int(ExitStatus.signalled(number)), error: "ended by signal \(number)")
    case .code(let c):
      code = Int(c)
    }
    let dryRun = job.dryRun || job.planOnly || forceDryRun
    let writes = report.map { dryRun ? $0.planned : $0.writes } ?? 0
    let error = report?.error ?? (code == 0 ? nil : "exited with status \(code)")
    let status: RunStatus
    if cancelled {
      status = .cancelled
    } else if code == Int(ExitStatus.interrupted) {
      status = .interrupted  // the child was stopped (SIGINT or SIGTERM) by someone else
    } else if code == 0 {
      status = .ok
    } else {
      status = report?.limit == .time ? .timeout : .failed
    }
    var outcome = RunOutcome(
      status: status, exitCode: code, error: status == .ok ? nil : error, writes: writes, dryRun: dryRun)
    outcome.syncTokens = report?.syncTokens ?? [:]
    outcome.requests = report?.requests ?? [:]
    outcome.pacerWaits = report?.pacerWaits ?? 0
    return outcome
  }
}

/// The names of variables kept from every run's environment; the daemon sets
/// them from its hooks at start and on each reload.
public final class HiddenVariables: Sendable {
  private let names = Mutex<Set<String>>([])

  public func set(_ new: Set<String>) { names.withLock { $0 = new } }
  /// The names hidden now, with `more`: a reload never un-hides a secret an earlier file named.
  public func union(_ more: Set<String>) -> Set<String> { names.withLock { $0.union(more) } }

  func filter(_ environment: [String]) -> [String] {
    let hidden = names.withLock { $0 }
    guard !hidden.isEmpty else { return environment }
    return environment.filter { entry in !hidden.contains(String(entry.prefix { $0 != "=" })) }
  }
}

/// The schedule's notify targets, resolved by the daemon at start and on reload (`Schedule.notifyURLs`).
public final class NotifyURLs: Sendable {
  private let urls = Mutex<[String: String]>([:])
  public func set(_ new: [String: String]) { urls.withLock { $0 = new } }
  var current: [String: String] { urls.withLock { $0 } }
}

/// Reads the report pipe to its end on a thread of its own (it is written at the child's very end).
final class ReportReader: Sendable {
  private let result = Mutex<RunReport?>(nil)
  private let done = DispatchSemaphore(value: 0)

  init(_ fd: Int32) {
    let thread = Thread { [self] in
      var data = Data()
      var buffer = [UInt8](repeating: 0, count: 4096)
      while data.count <= 1 << 20 {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { break }
        data.append(contentsOf: buffer.prefix(n))
      }
      close(fd)
      self.result.withLock { $0 = RunReport(decoding: data) }
      self.done.signal()
    }
    thread.name = "run-report"
    thread.start()
  }

  /// The report, once the pipe has ended (the child and its group are gone by then).
  func report() -> RunReport? {
    _ = done.wait(timeout: .now() + 5)
    return result.withLock { $0 }
  }
}

/// The SIGKILL that follows a SIGINT if the child does not stop, cancellable once it has.
private final class StopTimer: Sendable {
  private let task = Mutex<Task<Void, any Error>?>(nil)
  func start(_ body: @escaping @Sendable () async throws -> Void) { task.withLock { $0 = Task(operation: body) } }
  func cancel() { task.withLock { $0?.cancel() } }
}
