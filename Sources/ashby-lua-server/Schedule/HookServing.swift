import ArgumentParser
import AshbyCLI
import AshbyFake
import AshbyDaemon
import AshbyScheduler
import AshbyScripting
import AshbySignature
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
    if let listen, Daemon.Settings.address(listen) == nil {
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

  func startFake() async throws -> FakeAshby {
    var options = FakeAshby.Options()
    options.port = fakePort
    let fake = try await FakeAshby.start(options)
    DaemonLog.line(
      "schedule: fake Ashby at \(fake.baseURL.absoluteString) (from another shell: ASHBY_BASE_URL=\(fake.baseURL.absoluteString) with the key `ashby-lua fake-server` prints)"
    )
    return fake
  }

  /// The daemon's settings from these options (and the file's `delivery_retention`).
  func apply(to settings: inout Daemon.Settings, _ schedule: Schedule) {
    settings.listen = listen.flatMap(Daemon.Settings.address)
    (settings.hookWorkers, settings.hookQueue, settings.hookBodyTimeout) = (hookWorkers, hookQueue, hookBodyTimeout)
    settings.deliveryRetention =
      deliveryRetention.flatMap(ScheduleFile.duration) ?? schedule.deliveryRetention ?? ScheduleFile.defaultDeliveryRetention
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
