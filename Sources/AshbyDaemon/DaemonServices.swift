import AshbyScheduler
import Foundation
import Logging
import ServiceLifecycle

/// The daemon's long-lived parts as one `ServiceGroup`, in the order they start:
/// the deliveries' retention, the hooks' workers, the cron loop, the listener. A graceful shutdown goes
/// the other way: the listener stops accepting and answers what is under way
/// (so every delivery it acknowledged is stored), then the cron loop and the
/// workers give their runs what is left of the one grace (`DaemonStop`) and
/// interrupt the rest. Signals are the command line's (`SignalWatcher`): SIGINT
/// and SIGTERM begin the stop and trigger the shutdown (`Daemon.beginStop`),
/// SIGHUP reloads.
public enum DaemonServices {
  static func group(scheduler: Scheduler, listener: HookListener?, metrics: MetricsServer?, grace: TimeInterval)
    -> ServiceGroup
  {
    var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
    if let metrics { services.append(.init(service: metrics, serviceName: "metrics")) }
    if let listener {
      services.append(.init(service: listener.retention, serviceName: "delivery retention"))
      services.append(.init(service: listener.dispatcher, serviceName: "hook workers"))
    }
    services.append(.init(service: scheduler, serviceName: "cron"))
    if let listener { services.append(.init(service: listener.server, serviceName: "listener")) }
    var logger = Logger(label: "ashby-lua.services")
    logger.logLevel = .critical
    var configuration = ServiceGroupConfiguration(services: services, logger: logger)
    // A backstop past the grace: a part that does not return by then is
    // cancelled. A stop is never left to a supervisor's SIGKILL.
    configuration.maximumGracefulShutdownDuration = .seconds(grace + 30)
    return ServiceGroup(configuration: configuration)
  }

  /// Why the group ended, in a sentence: the failing service's own error.
  public static func reason(_ result: Result<Void, any Error>) -> String {
    guard case .failure(let error) = result else { return "it stopped" }
    return "\(error)"
  }
}
