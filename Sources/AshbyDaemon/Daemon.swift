import AshbyScheduler
import AshbyState
import Foundation
import ServiceLifecycle

/// The daemon `schedule run` runs, assembled: the cron loop, and with an
/// address the hooks' listener, its workers and the deliveries' retention,
/// and the metrics' own listener; all of them services of one group with a
/// graceful shutdown (`DaemonServices`). The command line gives it the
/// schedule, the state, the runner and its settings, and wires signals to
/// `beginStop` and `reload`.
public final class Daemon: Sendable {
  public struct Settings: Sendable {
    /// Where the hooks are served (`--listen`); nil: no listener.
    public var listen: (host: String, port: Int)?
    /// Where `/metrics` is served on its own (`--metrics`).
    public var metrics: (host: String, port: Int)?
    public var hookWorkers = 4
    public var hookQueue = 1000
    /// Seconds a delivery's body may take to arrive.
    public var hookBodyTimeout: Double = 10
    /// How long a delivery's id is kept after its run.
    public var deliveryRetention: TimeInterval = ScheduleFile.defaultDeliveryRetention
    /// Real seconds a run's or a delivery's lease lasts without renewal.
    public var lease: TimeInterval = Scheduler.defaultLease
    /// Seconds running jobs get once a stop begins.
    public var stopGrace: TimeInterval = 10

    public init() {}

    /// `HOST:PORT` (an IPv6 host in brackets or not); nil when it is not one.
    public static func address(_ text: String) -> (host: String, port: Int)? {
      guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
        (0...65535).contains(port)
      else { return nil }
      let host = String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
      return host.isEmpty ? nil : (host, port)
    }
  }

  public let scheduler: Scheduler
  public let listener: HookListener?
  public let stop: DaemonStop
  let group: ServiceGroup
  let log: @Sendable (String) -> Void

  /// - Parameters:
  ///   - clock: the scheduler's (a fast one in tests); leases are in its time, `settings.lease` in real seconds.
  ///   - render: the metrics in Prometheus' text format (`MetricsServer.bootstrap`).
  public init(
    schedule: Schedule, history: StateStore, runner: any JobRunner, clock: any SchedulerClock, settings: Settings,
    render: @escaping @Sendable () -> [UInt8], log: @escaping @Sendable (String) -> Void
  ) throws {
    let stop = DaemonStop(grace: settings.stopGrace)
    let scheduler = Scheduler(
      jobs: schedule.jobs, history: history, runner: runner, clock: clock, lease: settings.lease, stop: stop, log: log)
    var listener: HookListener?
    if let (host, port) = settings.listen {
      let dispatcher = HookDispatcher(
        hooks: schedule.hooks, history: history, runner: runner, owner: scheduler.owner, workers: settings.hookWorkers,
        lease: settings.lease / clock.rate, clock: clock, stop: stop, log: log)
      var limits = HookServer.Limits()
      limits.queueCapacity = settings.hookQueue
      limits.bodyDeadline = .milliseconds(Int64(settings.hookBodyTimeout * 1000))  // 1 ms to 10 min (the CLI's check)
      let server = try HookServer(
        hooks: schedule.hooks, history: history, owner: scheduler.owner, host: host, port: port, limits: limits,
        onAccepted: { dispatcher.deliveryAccepted() },
        notReady: { stop.isStopping ? "the daemon is stopping: its workers take no more deliveries" : nil },
        metrics: render, log: log)
      let retention = DeliveryRetention(history: history, retention: settings.deliveryRetention, log: log)
      listener = HookListener(server: server, dispatcher: dispatcher, retention: retention, host: host)
    } else if !schedule.hooks.isEmpty {
      log("schedule: \(schedule.hooks.count) hook\(schedule.hooks.count == 1 ? "" : "s") not served: give --listen HOST:PORT")
    }
    let exporter = settings.metrics.map { MetricsServer(host: $0.host, port: $0.port, render: render) }
    self.scheduler = scheduler
    self.listener = listener
    self.stop = stop
    self.log = log
    group = DaemonServices.group(scheduler: scheduler, listener: listener, metrics: exporter, grace: settings.stopGrace)
  }

  /// Runs every service until the stop; how the group ended.
  public func run() async -> Result<Void, any Error> {
    do {
      try await group.run()
      return .success(())
    } catch {
      return .failure(error)
    }
  }

  /// Begins the stop (no new runs; running ones get the grace) and the
  /// graceful shutdown; false when it had begun already.
  @discardableResult
  public func beginStop() -> Bool {
    guard stop.begin() else { return false }
    Task { await group.triggerGracefulShutdown() }
    return true
  }

  /// The file read again (SIGHUP): the hooks, then the jobs.
  public func reload(_ schedule: Schedule) async throws {
    try await listener?.reload(schedule.hooks)
    try await scheduler.reload(schedule.jobs)
  }

  /// Once the listener accepts connections: its base URL, and each hook's
  /// on the log; nil when it could not listen (or there is no listener).
  public func listening() async -> String? {
    guard let listener, let port = await listener.server.listening() else { return nil }
    let host = listener.host
    let base = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    log("hooks: listening on \(base) (POST /hooks/NAME, GET /healthz and /readyz)")
    for hook in await listener.dispatcher.hooks.values.sorted(by: { $0.name < $1.name }) {
      let events = hook.events.isEmpty ? "every event" : hook.events.sorted().joined(separator: ", ")
      log("\(hook.name): \(base)/hooks/\(hook.name) for \(events)")
    }
    return base
  }
}

/// The listener and its workers: two of the daemon's services.
public struct HookListener: Sendable {
  public let server: HookServer
  public let dispatcher: HookDispatcher
  public let retention: DeliveryRetention
  public let host: String

  func reload(_ hooks: [Hook]) async throws {
    try server.reload(hooks)
    await dispatcher.reload(hooks)
  }
}
