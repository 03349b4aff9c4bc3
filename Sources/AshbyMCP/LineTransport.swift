import Dispatch
import Foundation
import Logging
import MCP

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// MCP over stdio: one JSON-RPC message per line, read as soon as it arrives.
///
/// The SDK's `StdioTransport` makes stdin non-blocking and, whenever it is empty,
/// sleeps 10 ms before it looks again: every call an agent makes waited up to
/// 10 ms (5 on average) before the server saw it, a third of an empty script's
/// whole round trip. Here a thread of its own waits in a blocking `read`, woken
/// by the data itself; a blocking read also serves every kind of stdin (a pipe, a
/// terminal, a file), where epoll would refuse a file. Neither descriptor's flags
/// are changed: they are shared with whoever started us.
public actor LineTransport: Transport {
  public nonisolated let logger: Logger
  private let input: Int32
  private let output: Int32
  private let messages: AsyncThrowingStream<Data, any Error>
  private let incoming: AsyncThrowingStream<Data, any Error>.Continuation
  /// Writes happen here, one whole message at a time: a client slow to read blocks this queue, never
  /// a thread of Swift's concurrency pool (two of them on a two-core machine).
  private let writer = DispatchQueue(label: "ashby-lua.mcp.stdout")
  private var connected = false

  /// The longest line taken: a `run_script` of 1 MB of code is at most 6 MB as escaped JSON.
  private let maxMessageBytes: Int

  public init(
    input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO, maxMessageBytes: Int = 32 << 20, logger: Logger? = nil
  ) {
    self.input = input
    self.output = output
    self.maxMessageBytes = maxMessageBytes
    self.logger = logger ?? Logger(label: "ashby-lua.mcp.stdio", factory: { _ in SwiftLogNoOpLogHandler() })
    (messages, incoming) = AsyncThrowingStream.makeStream()
  }

  public func connect() async throws {
    guard !connected else { return }
    connected = true
    let input = self.input, incoming = self.incoming, cap = maxMessageBytes
    // Ends at end of input; otherwise it waits in `read` until the process ends (a read cannot be
    // taken back, and nothing else reads this descriptor).
    let reader = Thread { Self.readLines(from: input, into: incoming, cap: cap) }
    reader.name = "mcp-stdin"
    reader.start()
  }

  public func disconnect() async {
    guard connected else { return }
    connected = false
    incoming.finish()
  }

  public func send(_ data: Data) async throws {
    guard connected else { throw MCPError.transportError(Self.posixError(ENOTCONN)) }
    var message = data
    message.append(UInt8(ascii: "\n"))
    let line = message, output = self.output
    try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
      writer.async {
        let failure = line.withUnsafeBytes { Self.writeAll($0, to: output) }
        if let failure { done.resume(throwing: MCPError.transportError(Self.posixError(failure))) } else { done.resume() }
      }
    }
  }

  public func receive() -> AsyncThrowingStream<Data, any Error> { messages }

  /// Reads `fd` to its end, yielding each non-empty line (without its `\n`, or `\r\n`). A last line
  /// without a newline is a message too.
  static func readLines(from fd: Int32, into incoming: AsyncThrowingStream<Data, any Error>.Continuation, cap: Int) {
    var pending: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    func yield(_ line: ArraySlice<UInt8>) {
      let message = line.last == UInt8(ascii: "\r") ? line.dropLast() : line
      if !message.isEmpty { incoming.yield(Data(message)) }
    }
    while true {
      let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if count < 0 {
        switch errno {
        case EINTR: continue
        case EAGAIN, EWOULDBLOCK:
          // Made non-blocking by whoever shares it: wait for data rather than spin.
          var waiting = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
          _ = poll(&waiting, 1, -1)
          continue
        default:
          incoming.finish(throwing: MCPError.transportError(posixError(errno)))
          return
        }
      }
      if count == 0 { break }
      let newData = buffer[..<count]
      var start = 0
      if let first = newData.firstIndex(of: UInt8(ascii: "\n")) {
        pending.append(contentsOf: newData[..<first])
        yield(pending[...])
        pending.removeAll(keepingCapacity: true)
        start = first + 1
        while let next = newData[start...].firstIndex(of: UInt8(ascii: "\n")) {
          yield(newData[start..<next])
          start = next + 1
        }
      }
      pending.append(contentsOf: newData[start...])
      if pending.count > cap {
        incoming.finish(throwing: MCPError.parseError("a message longer than \(cap) bytes"))
        return
      }
    }
    yield(pending[...])
    incoming.finish()
  }

  static func posixError(_ code: Int32) -> POSIXError { POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO) }

  /// Writes all of `bytes`, waiting while the reader is behind; `errno` of a failure, or nil.
  static func writeAll(_ bytes: UnsafeRawBufferPointer, to fd: Int32) -> Int32? {
    var offset = 0
    while offset < bytes.count {
      let written = write(fd, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
      if written > 0 {
        offset += written
        continue
      }
      if written == 0 { return EIO }
      switch errno {
      case EINTR: continue
      case EAGAIN, EWOULDBLOCK:
        var waiting = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        _ = poll(&waiting, 1, -1)
      default: return errno
      }
    }
    return nil
  }
}
