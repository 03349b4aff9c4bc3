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
