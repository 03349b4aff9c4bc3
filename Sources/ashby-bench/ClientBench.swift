import AshbyJSON
import AshbyFake
import AshbyKit
import AsyncHTTPClient
import Foundation
import NIOCore

/// The client's cost over a bare async-http-client loop, and its parallel throughput.
enum ClientBench {
  static func run() async throws -> [Row] {
    var rows = try await overhead()
    rows.append(try await parallel())
    return rows
  }

  /// Sequential `job.info` calls: AshbyClient vs the same POST with a bare HTTPClient.
  ///
  /// The client's figure is `callRaw`, the call scripts make: results stay
  /// Ashby's text for the Lua bridge to decode into tables. `call`, which also
  /// decodes them into `JSONValue` for Swift callers, is printed for context.
  static func overhead() async throws -> [Row] {
    let fake = try await FakeAshby.start()
    var config = AshbyConfiguration(baseURL: fake.baseURL, apiKey: AshbyAPIKey(FakeAshby.fullKey))
    config.requestsPerMinute = 10_000_000
    let client = AshbyClient(configuration: config)
    let id = fake.seedIDs("job")[0]
    let n = 200

    let bare = HTTPClient(eventLoopGroupProvider: .singleton)
    let body = ByteBuffer(string: #"{"id":"\#(id)"}"#)
    let auth = "Basic " + Data("\(FakeAshby.fullKey):".utf8).base64EncodedString()
    let bareCall = {
      var request = HTTPClientRequest(url: fake.baseURL.absoluteString + "/job.info")
      request.method = .POST
      request.headers.add(name: "Content-Type", value: "application/json")
      request.headers.add(name: "Accept", value: "application/json; version=1")
      request.headers.add(name: "Authorization", value: auth)
      request.body = .bytes(body)
      let response = try await bare.execute(request, timeout: .seconds(30))
      _ = try await response.body.collect(upTo: 1 << 20)
    }
    let rawCall = { _ = try await client.callRaw("job.info", ["id": .string(id)]) }
    let valueCall = { _ = try await client.call("job.info", ["id": .string(id)]) }
    let sides: [() async throws -> Void] = [bareCall, rawCall, valueCall]
    func perCall(_ call: () async throws -> Void) async throws -> Double {
      let start = ContinuousClock.now
      for _ in 0..<n { try await call() }
      let d = ContinuousClock.now - start
      return (Double(d.components.attoseconds) / 1e18 + Double(d.components.seconds)) / Double(n)
    }
    for _ in 0..<200 {  // warm up connections and caches
      for side in sides { try await side() }
    }
    // Short rounds so all sides see the same machine, rotating which goes
    // first (later ones run warmer); the median of per-round ratios resists
    // the noise of a shared machine.
    var times: [[Double]] = Array(repeating: [], count: sides.count)
    for round in 0..<18 {
      for k in 0..<sides.count {
        let side = (round + k) % sides.count
        times[side].append(try await perCall(sides[side]))
      }
    }
    try await bare.shutdown()
    await client.shutdown()
    await fake.stop()
    func row(_ side: Int, _ name: String, target: Double?) -> Row {
      let ratio = median(zip(times[side], times[0]).map { $0 / $1 })
      return Row(
        name: name, ours: String(format: "%.0f µs/call", median(times[side]) * 1e6),
        baseline: String(format: "%.0f µs/call", median(times[0]) * 1e6), ratio: ratio,
        target: target.map { String(format: "≤ %.2f×", $0) } ?? "(context)", met: target.map { ratio <= $0 })
    }
    return [
      row(
        1,
        "client overhead: sequential job.info, results kept as text for Lua (`callRaw`) vs bare async-http-client (median of 18 rotated rounds)",
        target: 1.10),
      row(2, "the same, results decoded into Swift `JSONValue` (`call`)", target: nil),
    ]
  }

  /// 400 get_job calls at 25 ms latency, 16 in flight: ideal 400 / 16 × 25 ms = 625 ms.
  static func parallel() async throws -> Row {
    var options = FakeAshby.Options()
    options.latency = .milliseconds(25)
    let fake = try await FakeAshby.start(options)
    var config = AshbyConfiguration(baseURL: fake.baseURL, apiKey: AshbyAPIKey(FakeAshby.fullKey))
    config.requestsPerMinute = 10_000_000
    config.maxInFlight = 16
    let client = AshbyClient(configuration: config)
    let ids = fake.seedIDs("job")
    // Open the 16 connections first: the figure is about steady-state calls.
    try await withThrowingTaskGroup(of: Void.self) { group in
      for i in 0..<16 { group.addTask { _ = try await client.performRaw(ActionParams(Actions.getJob, ["job_id": .string(ids[i])])) } }
      try await group.waitForAll()
    }
    let start = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
      for i in 0..<400 {
        if i >= 16 { try await group.next() }
        group.addTask { _ = try await client.performRaw(ActionParams(Actions.getJob, ["job_id": .string(ids[i % ids.count])])) }
      }
      try await group.waitForAll()
    }
    let d = ContinuousClock.now - start
    let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    await client.shutdown()
    await fake.stop()
    let ratio = seconds / 0.625
    return Row(
      name: "400 get_job at 25 ms latency, 16 in flight (wall time)", ours: String(format: "%.0f ms", seconds * 1000),
      baseline: "625 ms (ideal)", ratio: ratio, target: "≤ 1.15×", met: ratio <= 1.15)
  }
}

func median(_ xs: [Double]) -> Double {
  let s = xs.sorted()
  return s.isEmpty ? .nan : s[s.count / 2]
}
