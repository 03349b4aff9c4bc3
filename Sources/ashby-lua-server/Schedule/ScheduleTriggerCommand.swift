import ArgumentParser
import AshbyCLI
import AshbyProcess
import AshbyScheduler
import AshbyScripting
import Foundation
import Synchronization

/// `schedule trigger NAME`: one run now, with the job's settings, lease and retries.
struct ScheduleTriggerCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "trigger", abstract: "Run one job now and record it in the history; exits with its status.")

  @Argument(help: "The job's name.")
  var name: String

  @OptionGroup var files: ScheduleFiles
  @OptionGroup var session: SessionOptions

  @Flag(help: "One attempt, whatever `retries` says: for an engine that retries itself (a Kubernetes Job's backoffLimit).")
  var noRetry = false

  @Option(
    help: ArgumentHelp(
      "On SIGTERM or SIGINT, let the run go on this long before interrupting it (as `schedule run` does).",
      valueName: "SECONDS"))
  var stopGrace: Double = 10

  func validate() throws {
    guard stopGrace >= 0 && stopGrace <= 86400 else { throw ValidationError("--stop-grace must be from 0 to 86400 seconds.") }
  }

  func run() async throws {
    let schedule = try files.schedule()
    let jobs = schedule.jobs
    guard var job = jobs.first(where: { $0.name == name }) else {
      Console.error(
        "ashby-lua: no job named \"\(name)\" in \(files.file); jobs: \(jobs.map(\.name).joined(separator: ", "))")
      throw ExitCode(Exit.usage)
    }
    if noRetry { job.retries = 0 }
    let history = try files.openHistory()
    // SIGTERM (systemd, Kubernetes) and SIGINT stop it as they stop the daemon: no retry
    // begins, the run gets the grace, then is stopped (SIGINT, then SIGKILL 5 s on) and
    // recorded `interrupted`, its lease freed.
    let stop = DaemonStop(grace: stopGrace)
    let runner = session.jobRunner(echo: .passThrough, auditState: try files.stateLocation(schedule))
    try ScheduleFiles.prepare(runner, for: schedule, runsOnFake: session.fake)
    let scheduler = Scheduler(jobs: jobs, history: history, runner: runner, stop: stop, log: DaemonLog.line)
    let task = Task { await scheduler.trigger(job) }
    let caught = Mutex<Int32?>(nil)
    let watchers = [SIGINT, SIGTERM].map { number in
      SignalWatcher(signals: [number]) {
        caught.withLock { $0 = $0 ?? number }
        guard stop.begin() else { return }
        Task {
          try? await Task.sleep(for: .seconds(stopGrace))  // ≤ a day (validate); a run that ended meanwhile is not touched
          task.cancel()
        }
      }
    }
    let record = await task.value
    withExtendedLifetime(watchers) {}
    if let signal = caught.withLock({ $0 }), record.status == .interrupted || record.status == .cancelled {
      throw ExitCode(Exit.signalled(signal))
    }
    switch record.status {
    case .ok: return
    case .skipped: throw ExitCode(Exit.scriptError)
    case .cancelled, .interrupted: throw ExitCode(Exit.interrupted)
    default: throw ExitCode(Int32(clamping: record.exitCode ?? Int(Exit.scriptError)))
    }
  }
}
