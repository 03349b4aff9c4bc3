import AshbyMCP
import Foundation
import MCP
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// MCP's stdio transport: each line a message as it arrives, whatever stdin is.
@Suite struct LineTransportTests {
  /// A pipe's two ends; the caller closes what it keeps.
  static func pipeEnds() throws -> (read: Int32, write: Int32) {
    var ends: [Int32] = [0, 0]
    guard pipe(&ends) == 0 else { throw POSIXError(.EIO) }
    return (ends[0], ends[1])
  }

  static func write(_ text: String, to fd: Int32) {
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
      let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
      if n <= 0 { return }
      offset += n
    }
  }

  static func texts(_ stream: AsyncThrowingStream<Data, any Error>, count: Int) async throws -> [String] {
    var out: [String] = []
    for try await message in stream {
      out.append(String(decoding: message, as: UTF8.self))
      if out.count == count { break }
    }
    return out
  }

  /// Pieces that split messages anywhere, `\r\n`, blank lines: each message whole, once, in order, while
  /// the writer keeps the pipe open (no end of input needed to see one).
  @Test func linesAreMessagesHoweverTheyArrive() async throws {
    let (readEnd, writeEnd) = try Self.pipeEnds()
    defer { close(writeEnd) }
    let transport = LineTransport(input: readEnd, output: STDERR_FILENO)
    try await transport.connect()
    let messages = await transport.receive()
    Self.write(#"{"a":1}"# + "\n" + #"{"b":"#, to: writeEnd)
    Self.write("2}\r\n\n\n" + #"{"c":"#, to: writeEnd)
    Self.write("3}\n", to: writeEnd)
    #expect(try await Self.texts(messages, count: 3) == [#"{"a":1}"#, #"{"b":2}"#, #"{"c":3}"#])
    await transport.disconnect()
  }

  /// A file as stdin (`ashby-lua mcp < calls.jsonl`), its last line without a newline: every line is read.
  @Test func aFileIsReadToItsEnd() async throws {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("line-transport-\(UUID().uuidString)")
    try Data("{\"x\":1}\n{\"x\":2}".utf8).write(to: file)
    defer { try? FileManager.default.removeItem(at: file) }
    let fd = open(file.path, O_RDONLY)
    #expect(fd >= 0)
    defer { close(fd) }
    let transport = LineTransport(input: fd, output: STDERR_FILENO)
    try await transport.connect()
    var all: [String] = []
    for try await message in await transport.receive() { all.append(String(decoding: message, as: UTF8.self)) }
    #expect(all == [#"{"x":1}"#, #"{"x":2}"#])
  }

  /// A stdin someone else made non-blocking is waited on, not given up on (its flags stay as they were).
  @Test func aNonBlockingInputIsWaitedOn() async throws {
    let (readEnd, writeEnd) = try Self.pipeEnds()
    defer { close(writeEnd) }
    _ = fcntl(readEnd, F_SETFL, fcntl(readEnd, F_GETFL) | O_NONBLOCK)
    let transport = LineTransport(input: readEnd, output: STDERR_FILENO)
    try await transport.connect()
    let messages = await transport.receive()
    let writer = Task.detached {
      try await Task.sleep(for: .milliseconds(200))  // after the reader found the pipe empty
      Self.write("{\"late\":true}\n", to: writeEnd)
    }
    #expect(try await Self.texts(messages, count: 1) == [#"{"late":true}"#])
    try await writer.value
    #expect(fcntl(readEnd, F_GETFL) & O_NONBLOCK != 0)
  }

  /// A line past the cap ends the input with a parse error instead of growing without end.
  @Test func anEndlessLineIsRefused() async throws {
    let (readEnd, writeEnd) = try Self.pipeEnds()
    defer { close(writeEnd) }
    let transport = LineTransport(input: readEnd, output: STDERR_FILENO, maxMessageBytes: 100_000)
    try await transport.connect()
    let messages = await transport.receive()
    // One byte past the cap: the reader takes all of it before it stops, so the writer never waits.
    let writer = Task.detached { Self.write(String(repeating: "x", count: 100_001), to: writeEnd) }
    await #expect { for try await _ in messages {} } throws: { "\($0)".contains("100000 bytes") }
    await writer.value
  }

  /// What is sent is one line per message, whole, in order, also when it is larger than a pipe holds
  /// and the reader comes late.
  @Test func sentMessagesAreWholeLines() async throws {
    let (readEnd, writeEnd) = try Self.pipeEnds()
    let (silentInput, inputWriter) = try Self.pipeEnds()
    defer {
      close(readEnd)
      close(inputWriter)  // its reader ends
    }
    let transport = LineTransport(input: silentInput, output: writeEnd)
    try await transport.connect()
    let big = String(repeating: "y", count: 300_000)
    let sending = Task {
      try await transport.send(Data(big.utf8))
      try await transport.send(Data("{}".utf8))
    }
    let reader = Task.detached { () -> Data in
      var all = Data()
      var buffer = [UInt8](repeating: 0, count: 65536)
      while all.count < 300_004 {
        let n = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        all.append(contentsOf: buffer[..<n])
      }
      return all
    }
    try await sending.value
    let received = await reader.value
    close(writeEnd)
    #expect(received == Data((big + "\n{}\n").utf8))
  }
}
