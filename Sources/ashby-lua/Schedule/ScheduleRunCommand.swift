import ArgumentParser
import AshbyHooks
import AshbyProcess
import AshbyScheduler
import AshbyScripting
import Foundation
import Logging
import ServiceLifecycle

/// `schedule run`: the daemon, in the foreground (systemd's `Type=simple`).
struct ScheduleRunCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run the schedule in the foreground until SIGINT or SIGTERM; SIGHUP reloads the file.",
    discussion: "Flags like --dry-run, --sandbox and --timeout apply to every job, over the file's settings."
  )

  @OptionGroup var files: ScheduleFiles
  @OptionGroup var session: SessionOptions

  @Option(
    help: ArgumentHelp(
      "On SIGTERM or SIGINT, wait this long for running jobs before interrupting them.", valueName: "SECONDS"))
  var stopGrace: Double = 10

  @Option(
    help: ArgumentHelp(
      "How long this daemon's hold on a running job or delivery lasts without renewal: after a crash on another host, the others wait this long to take over.",
      valueName: "SECONDS"))
  var lease: Double = Scheduler.defaultLease

  @OptionGroup var hooks: HookServing

  @Option(
    help: ArgumentHelp(
      "Serve Prometheus metrics at GET http://HOST:PORT/metrics (with --listen they are at its /metrics too).",
      valueName: "HOST:PORT"))
  var metrics: String?

  @Option(help: ArgumentHelp("The log's lines: text, or json (one object per line).", valueName: "FORMAT"))
  var logFormat: DaemonLog.Format = .text

  /// The system clock, or a fast one for tests (`ScaledClock`, `ASHBY_LUA_CLOCK`).
  static func clock() -> any SchedulerClock {
    ProcessInfo.processInfo.environment["ASHBY_LUA_CLOCK"].flatMap(ScaledClock.init) ?? SystemClock()
  }

  func validate() throws {
    guard stopGrace >= 0 && stopGrace <= 3600 else { throw ValidationError("--stop-grace must be from 0 to 3600 seconds.") }
    guard lease >= 1 && lease <= 86400 else { throw ValidationError("--lease must be from 1 to 86400 seconds.") }
    if let metrics, HookServing.address(metrics) == nil {
      throw ValidationError("--metrics must be HOST:PORT, like 127.0.0.1:9464, got \"\(metrics)\".")
    }
  }

  func run() async throws {
    DaemonLog.use(logFormat)
    let render = MetricsServer.bootstrap()
    var schedule = try files.schedule()
    if hooks.hooksOnly { schedule.jobs = [] }
    let history = try files.openHistory(schedule)
    // `--fake`: one fake Ashby for the whole daemon, so a hook sees what a job (or another shell) did there.
    let fake = session.fake ? try await hooks.startFake() : nil
    // Runs yield the CPU to the daemon, which must go on answering Ashby and firing on time.
    let runner = session.jobRunner(echo: .lines(DaemonLog.line), sharedFake: fake, niceness: 10)
    runner.hidden.set(schedule.secretVariables)
    let clock = Self.clock()
    let stop = DaemonStop(grace: stopGrace)
    let scheduler = Scheduler(
      jobs: schedule.jobs, history: history, runner: runner, clock: clock, lease: lease, stop: stop, log: DaemonLog.line)
    DaemonLog.line(
      "schedule: \(schedule.jobs.count) job\(schedule.jobs.count == 1 ? "" : "s") and \(schedule.hooks.count) hook\(schedule.hooks.count == 1 ? "" : "s") from \(files.file), state in \(history.location), as \(scheduler.owner)"
    )
    Self.announce(schedule.jobs)
    let listener = try hooks.listener(
      schedule, history: history, runner: runner, owner: scheduler.owner, lease: lease / clock.rate, stop: stop,
      metrics: render)
    let exporter = metrics.flatMap(HookServing.address).map { MetricsServer(host: $0.host, port: $0.port, render: render) }
    let group = DaemonServices.group(scheduler: scheduler, listener: listener, metrics: exporter, grace: stopGrace)
    let services = Task { try await group.run() }
    let signals = SignalWatcher(signals: [SIGINT, SIGTERM]) {
      guard stop.begin() else { return }
      DaemonLog.line("schedule: stopping: no new runs; running jobs get \(Int(stopGrace)) s, then are interrupted")
      Task { await group.triggerGracefulShutdown() }
    }
    // SIGHUP: read the file again; keep the old schedule if the new one has problems.
    let reload = SignalWatcher(signals: [SIGHUP]) { [files, hooks] in
      do {
        var schedule = try ScheduleFiles.read(files.file)
        if hooks.hooksOnly { schedule.jobs = [] }
        Task {
          do {
            runner.hidden.set(runner.hidden.union(schedule.secretVariables))
            try await listener?.reload(schedule.hooks)
            try await scheduler.reload(schedule.jobs)
            Self.announce(schedule.jobs)
          } catch {
            DaemonLog.line("schedule: reload failed, keeping the old schedule: \(error)")
          }
        }
      } catch {
        DaemonLog.line("schedule: \(files.file) has problems, keeping the old schedule:\n\(error)")
      }
    }
    defer { withExtendedLifetime((signals, reload)) {} }
    if let listener, try await !hooks.announce(listener, schedule.hooks, fake: fake) {
      let why = await services.result
      Console.error("ashby-lua: cannot listen on \(hooks.listen ?? ""): \(DaemonServices.reason(why))")
      await group.triggerGracefulShutdown()
      await fake?.stop()
      throw ExitCode(Exit.usage)
    }
    let result = await services.result
    await fake?.stop()
    if case .failure = result {
      DaemonLog.line("schedule: stopped: \(DaemonServices.reason(result))")
      throw ExitCode(Exit.scriptError)
    }
    DaemonLog.line("schedule: stopped")
  }

  static func announce(_ jobs: [ScheduledJob]) {
    let now = Date()
    for job in jobs {
      let next = job.cron.next(after: now, in: job.timeZone).map { Timetable.format($0, in: job.timeZone) } ?? "never"
      DaemonLog.line("\(job.name): \(job.cron) (\(job.zoneName)), next \(next)")
    }
  }
}
