import ArgumentParser
import AshbyScheduler
import Foundation

/// `schedule run`: the daemon, in the foreground (systemd's `Type=simple`).
struct ScheduleRunCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run the schedule in the foreground until SIGINT or SIGTERM.",
    discussion: "Flags like --dry-run, --sandbox and --timeout apply to every job, over the file's settings."
  )

  @OptionGroup var files: ScheduleFiles
  @OptionGroup var session: SessionOptions

  func run() async throws {
    let jobs = try files.jobs()
    let history = try files.openHistory()
    let scheduler = Scheduler(jobs: jobs, history: history, runner: session.jobRunner(), log: DaemonLog.line)
    DaemonLog.line(
      "schedule: \(jobs.count) job\(jobs.count == 1 ? "" : "s") from \(files.file), history in \(files.history ?? RunHistory.defaultPath()), as \(scheduler.owner)"
    )
    let now = Date()
    for job in jobs {
      let next = job.cron.next(after: now, in: job.timeZone).map { Timetable.format($0, in: job.timeZone) } ?? "never"
      DaemonLog.line("\(job.name): \(job.cron) (\(job.timeZone.identifier)), next \(next)")
    }
    let task = Task { try await scheduler.run() }
    let watcher = SignalWatcher(signals: [SIGINT, SIGTERM]) {
      DaemonLog.line("schedule: stopping; running jobs are interrupted")
      task.cancel()
    }
    defer { withExtendedLifetime(watcher) {} }
    do {
      try await task.value
    } catch is CancellationError {
    } catch {
      DaemonLog.line("schedule: stopped: \(error)")
      throw ExitCode(Exit.scriptError)
    }
    DaemonLog.line("schedule: stopped")
  }
}

/// `schedule trigger NAME`: one run now, with the job's settings, lease and retries.
struct ScheduleTriggerCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "trigger", abstract: "Run one job now and record it in the history; exits with its status.")

  @Argument(help: "The job's name.")
  var name: String

  @OptionGroup var files: ScheduleFiles
  @OptionGroup var session: SessionOptions

  func run() async throws {
    let jobs = try files.jobs()
    guard let job = jobs.first(where: { $0.name == name }) else {
      Console.error(
        "ashby-lua: no job named \"\(name)\" in \(files.file); jobs: \(jobs.map(\.name).joined(separator: ", "))")
      throw ExitCode(Exit.usage)
    }
    let history = try files.openHistory()
    let scheduler = Scheduler(jobs: jobs, history: history, runner: session.jobRunner(), log: DaemonLog.line)
    let task = Task { await scheduler.trigger(job) }
    let watcher = SignalWatcher { task.cancel() }
    let record = await task.value
    withExtendedLifetime(watcher) {}
    switch record.status {
    case .ok: return
    case .skipped: throw ExitCode(Exit.scriptError)
    case .cancelled: throw ExitCode(Exit.interrupted)
    default: throw ExitCode(Int32(clamping: record.exitCode ?? Int(Exit.scriptError)))
    }
  }
}
