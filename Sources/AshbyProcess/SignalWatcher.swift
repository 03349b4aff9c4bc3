import Dispatch
import Foundation

/// Turns signals (SIGINT by default) into a call on a queue (never work inside a raw signal handler).
///
/// The one place signals are handled: a run (first Ctrl-C interrupts the
/// script, a second ends the process), the daemon (SIGINT/SIGTERM stop,
/// SIGHUP reloads), `schedule trigger` and `fake-server`. swift-service-lifecycle
/// was considered: its graceful shutdown has no notion of a second signal
/// meaning "now", nor of reloading, and would add a service group around code
/// that has one task to stop.
public final class SignalWatcher: @unchecked Sendable {  // the sources are only cancelled in deinit
  private let sources: [any DispatchSourceSignal]

  public init(signals: [Int32] = [SIGINT], onInterrupt: @escaping @Sendable () -> Void) {
    sources = signals.map { number in
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      source.setEventHandler(handler: onInterrupt)
      source.resume()
      return source
    }
  }

  deinit { sources.forEach { $0.cancel() } }
}
