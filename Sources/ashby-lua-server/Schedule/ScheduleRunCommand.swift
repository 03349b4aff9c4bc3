import ArgumentParser
import AshbyCLI
import AshbyFake
import AshbyDaemon
import AshbyProcess
import AshbyScheduler
import AshbyScripting
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

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
    if let metrics, Daemon.Settings.address(metrics) == nil {
      throw ValidationError("--metrics must be HOST:PORT, like 127.0.0.1:9464, got \"\(metrics)\".")
    }
  }

  func run() async throws {
    DaemonLog.use(logFormat)
    // Watched from the first moment: a SIGTERM while the state opens (a database's connect) is a stop, not a death.
    let stopRequest = StopRequest(grace: stopGrace)
    let signals = SignalWatcher(signals: [SIGINT, SIGTERM]) { stopRequest.request() }
    defer { withExtendedLifetime(signals) {} }
    let render = MetricsServer.bootstrap()
    var schedule = try files.schedule()
    if hooks.hooksOnly { schedule.jobs = [] }
    let history = try files.openHistory(schedule)
    // `--fake`: one fake Ashby for the whole daemon, so a hook sees what a job (or another shell) did there.
    let fake = session.fake ? try await hooks.startFake() : nil
    // Runs yield the CPU to the daemon, which must go on answering Ashby and firing on time.
    let runner = session.jobRunner(
      echo: .lines(DaemonLog.line), sharedFake: fake, niceness: 10, auditState: try files.stateLocation(schedule))
    try ScheduleFiles.prepare(runner, for: schedule, fake: fake)
    let clock = Self.clock()
    var settings = Daemon.Settings()
    (settings.lease, settings.stopGrace, settings.metrics) = (lease, stopGrace, metrics.flatMap(Daemon.Settings.address))
    hooks.apply(to: &settings, schedule)
    let daemon: Daemon
    do {
      daemon = try Daemon(
        schedule: schedule, history: history, runner: runner, clock: clock, settings: settings, render: render,
        log: DaemonLog.line)
    } catch {
      Console.error("ashby-lua: \(error)")
      throw ExitCode(Exit.usage)
    }
    stopRequest.attach(daemon)
    DaemonLog.line(
      "schedule: \(schedule.jobs.count) job\(schedule.jobs.count == 1 ? "" : "s") and \(schedule.hooks.count) hook\(schedule.hooks.count == 1 ? "" : "s") from \(files.file), state in \(history.location), as \(daemon.scheduler.owner)"
    )
    Self.announce(schedule.jobs)
    let services = Task { await daemon.run() }
    // SIGHUP: read the file again; keep the old schedule if the new one has problems.
    let reload = SignalWatcher(signals: [SIGHUP]) { [files, hooks] in
      do {
        var schedule = try ScheduleFiles.read(files.file)
        if hooks.hooksOnly { schedule.jobs = [] }
        Task {
          do {
            runner.hidden.set(runner.hidden.union(schedule.secretVariables))
            let urls = try fake.map { FakeAshby.sinkURLs(schedule.notify.keys, at: $0) } ?? schedule.notifyURLs()
            try await daemon.reload(schedule)
            runner.notifyURLs.set(urls)  // only once the new file is taken
            Self.announce(schedule.jobs)
          } catch {
            DaemonLog.line("schedule: reload failed, keeping the old schedule: \(error)")
          }
        }
      } catch {
        DaemonLog.line("schedule: \(files.file) has problems, keeping the old schedule:\n\(error)")
      }
    }
    defer { withExtendedLifetime(reload) {} }
    if daemon.listener != nil {
      guard let base = await daemon.listening() else {
        let why = await services.value
        Console.error("ashby-lua: cannot listen on \(hooks.listen ?? ""): \(DaemonServices.reason(why))")
        daemon.beginStop()
        await fake?.stop()
        throw ExitCode(Exit.usage)
      }
      if let fake { try hooks.register(schedule.hooks, at: fake, base: base) }
    }
    let result = await services.value
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

/// SIGINT or SIGTERM, whenever it comes. Before the daemon exists nothing runs
/// and nothing was taken (no lease, no delivery), so the process ends at once,
/// even while the state's database does not answer; once it exists, the
/// daemon's graceful stop (its service group keeps a stop asked for before it runs).
final class StopRequest: Sendable {
  private let daemon = Mutex<Daemon?>(nil)
  private let grace: Double

  init(grace: Double) { self.grace = grace }

  func request() {
    guard let daemon = daemon.withLock({ $0 }) else {
      DaemonLog.line("schedule: stopped before it started")
      exit(0)
    }
    stop(daemon)
  }

  /// Before its services start: from here a signal is the daemon's stop.
  func attach(_ daemon: Daemon) { self.daemon.withLock { $0 = daemon } }

  private func stop(_ daemon: Daemon) {
    guard daemon.beginStop() else { return }
    DaemonLog.line("schedule: stopping: no new runs; running jobs get \(Int(grace)) s, then are interrupted")
  }
}
