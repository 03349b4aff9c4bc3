import Foundation
import Synchronization

/// Reads a child's output pipe to its end on a thread of its own (a full pipe
/// would stop the child), keeps the last `capacity` bytes for the history, and
/// hands each chunk to `echo` as it comes.
package final class OutputTail: Sendable {
  /// What the history keeps of one run's output (stdout and stderr together).
  package static let capacity = 64 << 10

  private struct State {
    var bytes: [UInt8] = []
    var dropped = 0
    var done = false
  }
  private let state = Mutex(State())
  private let finished = DispatchSemaphore(value: 0)

  /// Starts reading each descriptor (and closes it at its end).
  package init(_ fds: [Int32], echo: @escaping @Sendable (Int32, [UInt8]) -> Void) {
    let group = DispatchGroup()
    for fd in fds {
      group.enter()
      let thread = Thread { [self] in
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
          let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
          if n < 0 && errno == EINTR { continue }
          guard n > 0 else { break }
          let chunk = Array(buffer.prefix(n))
          echo(fd, chunk)
          self.state.withLock { s in
            s.bytes += chunk
            if s.bytes.count > Self.capacity {
              let extra = s.bytes.count - Self.capacity
              s.bytes.removeFirst(extra)
              s.dropped += extra
            }
          }
        }
        close(fd)
        group.leave()
      }
      thread.name = "run-output"
      thread.start()
    }
    group.notify(queue: .global()) { [finished] in finished.signal() }
  }

  /// The output, once every pipe has ended or `seconds` have passed; with a
  /// first line saying how much was cut.
  package func text(waiting seconds: Double) -> String {
    _ = finished.wait(timeout: .now() + seconds)
    return state.withLock { s in
      let text = String(decoding: s.bytes, as: UTF8.self)
      return s.dropped > 0 ? "(the first \(s.dropped) bytes are cut: the history keeps \(Self.capacity >> 10) KB)\n" + text : text
    }
  }
}
