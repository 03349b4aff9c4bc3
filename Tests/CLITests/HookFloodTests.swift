import AshbyWebhook
import AshbyTestSupport
import Foundation
import Testing

/// A connection flood: 400 connections each holding an unsigned 1 MB body
/// open (never finished), while signed deliveries arrive. The daemon's memory
/// stays bounded (bodies in flight have a budget; past it, 503) and the
/// signed deliveries are still acknowledged.
@Suite(.serialized) struct HookFloodTests {
  /// Sockets that each sent a head and most of a 1 MB body, and hold it.
  final class Flood: @unchecked Sendable {  // used from one test only
    private(set) var sockets: [Int32] = []
    private(set) var sent = 0

    /// Opens `count` connections to `port` and writes into each, without blocking, for up to `seconds`.
    init(_ count: Int, port: Int, path: String, seconds: Double) {
      let size = 1 << 20
      let head = Array(
        "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(size)\r\n\r\n"
          .utf8)
      let chunk = [UInt8](repeating: UInt8(ascii: " "), count: 64 << 10)
      var left: [Int32: Int] = [:]
      for _ in 0..<count {
        guard let fd = try? SlowClient(port: port).fd else { continue }
        _ = head.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        sockets.append(fd)
        left[fd] = size - 1  // one byte short: the body never ends
      }
      let deadline = Date().addingTimeInterval(seconds)
      while Date() < deadline, left.values.contains(where: { $0 > 0 }) {
        for (fd, remaining) in left where remaining > 0 {
          let n = chunk.withUnsafeBytes { send(fd, $0.baseAddress, min($0.count, remaining), Int32(MSG_NOSIGNAL)) }
          if n > 0 {
            left[fd] = remaining - n
            sent += n
          } else if n < 0 && errno != EAGAIN && errno != EWOULDBLOCK {
            left[fd] = 0  // closed by the daemon (a 503, a 408)
          }
        }
        usleep(2000)
      }
    }

    func close() { for fd in sockets { _ = Glibc.close(fd) } }
  }

  /// The process's peak resident memory (VmHWM), in MB.
  static func peakMB(_ pid: Int32) -> Int {
    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
    return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) / 1024
  }

  @Test func fourHundredSlowLargeBodiesLeaveMemoryBoundedAndDeliveriesAcknowledged() async throws {
    let d = try await HookDaemon(schedule: HookTests.schedule, scripts: ["note.lua": HookTests.note]).ready()
    let before = Self.peakMB(d.pid)
    let port = d.port
    let flood = await Task.detached { Flood(400, port: port, path: "/hooks/note", seconds: 4) }.value
    defer { flood.close() }
    var latencies: [Double] = []
    for _ in 0..<20 {
      let started = Date()
      let answer = try await d.deliver("note", HookDaemon.body(data: HookTests.application(d)))
      latencies.append(Date().timeIntervalSince(started))
      #expect(answer.status == 200, "\(answer.status) \(answer.body)")
    }
    let peak = Self.peakMB(d.pid)
    let p99 = latencies.sorted()[max(0, Int((Double(latencies.count) * 0.99).rounded(.up)) - 1)]
    print(
      "flood: \(flood.sockets.count) connections, \(flood.sent >> 20) MB of unsigned bodies sent; daemon peak \(before) MB before, \(peak) MB during; signed acks p99 \(String(format: "%.0f", p99 * 1000)) ms"
    )
    #expect(flood.sockets.count >= 390)
    #expect(peak <= 256, "peak RSS \(peak) MB")
    flood.close()
    await d.stop()
  }
}
