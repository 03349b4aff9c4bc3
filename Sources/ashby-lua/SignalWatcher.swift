import Dispatch
import Foundation

/// Turns SIGINT into a call on a queue (never work inside a raw signal handler).
final class SignalWatcher: @unchecked Sendable {  // the source is only cancelled in deinit
  private let source: any DispatchSourceSignal

  init(onInterrupt: @escaping @Sendable () -> Void) {
    signal(SIGINT, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
    source.setEventHandler(handler: onInterrupt)
    source.resume()
    self.source = source
  }

  deinit { source.cancel() }
}
