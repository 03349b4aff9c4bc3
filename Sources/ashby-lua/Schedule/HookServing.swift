import ArgumentParser
import AshbyFake
import AshbyHooks
import AshbyScheduler
import AshbyScripting
import AshbyState
import AshbyWebhook
import Foundation

/// `schedule run --listen HOST:PORT`: the hooks' listener and its queue, beside the cron jobs.
struct HookServing: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Serve the file's [[hook]]s at POST http://HOST:PORT/hooks/NAME (and GET /healthz, /readyz, /metrics).", valueName: "HOST:PORT"))
  var listen: String?

  @Flag(help: "Serve the hooks only; run no cron job (when timers or CronJobs run them: `schedule export`).")
  var hooksOnly = false

  @Option(
    help: ArgumentHelp(
      "Hook deliveries run at once (default: the CPUs, 2 to 8; more when scripts mostly wait on Ashby).", valueName: "N"))
  var hookWorkers = Self.defaultWorkers

  /// One run per CPU: runs that compute share them with the listener, which must go on answering.
  static let defaultWorkers = min(8, max(2, ProcessInfo.processInfo.activeProcessorCount))

  @Option(
    help: ArgumentHelp(
      "Deliveries waiting or running before new ones get 503 (Ashby sends them again later).", valueName: "N"))
  var hookQueue = 1000

  @Option(
    help: ArgumentHelp(
      "A delivery's body must arrive within this many seconds (else 408): a slow client holds one connection, briefly.",
      valueName: "SECONDS"))
  var hookBodyTimeout: Double = 10

  @Option(help: ArgumentHelp("With --fake: the port of the daemon's fake Ashby (0 picks one).", valueName: "PORT"))
  var fakePort = 0

  @Option(
    help: ArgumentHelp(
      "How long a delivery's id is kept after its run, so a redelivery is known (default: the file's delivery_retention, else 7d; at least 1d).",
      valueName: "DURATION"))
  var deliveryRetention: String?

  func validate() throws {
    if let listen, Self.address(listen) == nil {
      throw ValidationError("--listen must be HOST:PORT, like 127.0.0.1:8787, got \"\(listen)\".")
    }
    if hooksOnly && listen == nil { throw ValidationError("--hooks-only needs --listen HOST:PORT.") }
    guard (1...64).contains(hookWorkers) else { throw ValidationError("--hook-workers must be from 1 to 64.") }
    guard (1...1_000_000).contains(hookQueue) else { throw ValidationError("--hook-queue must be from 1 to 1000000.") }
    guard hookBodyTimeout > 0 && hookBodyTimeout <= 600 else {
      throw ValidationError("--hook-body-timeout must be above 0 and at most 600 seconds.")
    }
    guard (0...65535).contains(fakePort) else { throw ValidationError("--fake-port must be from 0 to 65535.") }
    if let deliveryRetention {
      guard let seconds = ScheduleFile.duration(deliveryRetention),
        (ScheduleFile.minDeliveryRetention...ScheduleFile.maxDeliveryRetention).contains(seconds)
      else {
        throw ValidationError("--delivery-retention must be a duration from 1d to 3650d, like 7d, got \"\(deliveryRetention)\".")
      }
    }
  }

  static func address(_ text: String) -> (host: String, port: Int)? {
    guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
      (0...65535).contains(port)
    else { return nil }
    let host = String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
    return host.isEmpty ? nil : (host, port)
  }

  func startFake() async throws -> FakeAshby {
    var options = FakeAshby.Options()
    options.port = fakePort
    let fake = try await FakeAshby.start(options)
    DaemonLog.line(
      "schedule: fake Ashby at \(fake.baseURL.absoluteString) (from another shell: ASHBY_BASE_URL=\(fake.baseURL.absoluteString) with the key `ashby-lua fake-server` prints)"
    )
    return fake
  }

  /// The listener and the workers, ready to run as the daemon's services; nil without `--listen`.
  func listener(
    _ schedule: Schedule, history: StateStore, runner: any JobRunner, owner: String, lease: TimeInterval,
    stop: DaemonStop, metrics: @escaping @Sendable () -> [UInt8]
  ) throws -> HookListener? {
    let hooks = schedule.hooks
    guard let listen, let (host, port) = Self.address(listen) else {
      if !hooks.isEmpty {
        DaemonLog.line("schedule: \(hooks.count) hook\(hooks.count == 1 ? "" : "s") not served: give --listen HOST:PORT")
      }
      return nil
    }
    let dispatcher = HookDispatcher(
      hooks: hooks, history: history, runner: runner, owner: owner, workers: hookWorkers, lease: lease,
      clock: ScheduleRunCommand.clock(), stop: stop, log: DaemonLog.line)
    var limits = HookServer.Limits()
    limits.queueCapacity = hookQueue
    limits.bodyDeadline = .milliseconds(Int64(hookBodyTimeout * 1000))  // 1 ms to 10 min (validate)
    do {
      let server = try HookServer(
        hooks: hooks, history: history, owner: owner, host: host, port: port, limits: limits,
        onAccepted: { dispatcher.deliveryAccepted() },
        notReady: { stop.isStopping ? "the daemon is stopping: its workers take no more deliveries" : nil },
        metrics: metrics, log: DaemonLog.line)
      let retention = DeliveryRetention(
        history: history,
        retention: deliveryRetention.flatMap(ScheduleFile.duration) ?? schedule.deliveryRetention
          ?? ScheduleFile.defaultDeliveryRetention,
        log: DaemonLog.line)
      return HookListener(server: server, dispatcher: dispatcher, retention: retention, host: host)
    } catch {
      Console.error("ashby-lua: \(error)")
      throw ExitCode(Exit.usage)
    }
  }

  /// Once the listener accepts connections: says where, and with `--fake`
  /// points the fake's webhooks at it. False when it could not listen.
  func announce(_ listener: HookListener, _ hooks: [Hook], fake: FakeAshby?) async throws -> Bool {
    guard let port = await listener.server.listening() else { return false }
    let host = listener.host
    let base = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    DaemonLog.line("hooks: listening on \(base) (POST /hooks/NAME, GET /healthz and /readyz)")
    for hook in hooks {
      let events = hook.events.isEmpty ? "every event" : hook.events.sorted().joined(separator: ", ")
      DaemonLog.line("\(hook.name): \(base)/hooks/\(hook.name) for \(events)")
    }
    if let fake { try register(hooks, at: fake, base: base) }
    return true
  }

  /// `--fake --listen`: the fake's webhooks point at this daemon, with each hook's secret.
  func register(_ hooks: [Hook], at fake: FakeAshby, base: String) throws {
    for hook in hooks {
      let secret = (try hook.resolveSecret()) ?? WebhookSignature.newSecret()
      let types = hook.events.isEmpty ? WebhookDelivery.types : hook.events.sorted()
      for type in types { fake.registerWebhook(type: type, url: "\(base)/hooks/\(hook.name)", secret: secret) }
    }
    DaemonLog.line("schedule: the fake Ashby sends its webhooks to this daemon's hooks")
  }
}

/// The listener and its workers: two of the daemon's services.
struct HookListener: Sendable {
  let server: HookServer
  let dispatcher: HookDispatcher
  let retention: DeliveryRetention
  let host: String

  func reload(_ hooks: [Hook]) async throws {
    try server.reload(hooks)
    await dispatcher.reload(hooks)
  }
}
