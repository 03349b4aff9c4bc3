import Dispatch
import Foundation

/// Turns signals (SIGINT by default) into a call on a queue (never work inside a raw signal handler).
final class SignalWatcher: @unchecked Sendable {  // the sources are only cancelled in deinit
  private let sources: [any DispatchSourceSignal]

  init(signals: [Int32] = [SIGINT], onInterrupt: @escaping @Sendable () -> Void) {
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
