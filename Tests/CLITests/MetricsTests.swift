import AshbyWebhook
import AshbyTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// What an operator watches: `/metrics` (on the listener and on `--metrics`)
/// moves the right series for a delivery and a run, and passes `promtool
/// check metrics`; `--log-format json` writes one object per line.
@Suite(.serialized) struct MetricsTests {
  static func fetch(_ url: String) async throws -> String {
    let (data, _) = try await URLSession.shared.data(from: try #require(URL(string: url)))
    return String(decoding: data, as: UTF8.self)
  }

  /// The value of the series `name` whose labels include all of `labels` (`key="value"`).
  static func value(_ text: String, _ name: String, _ labels: [String] = []) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(name + "{") || line.hasPrefix(name + " ") {
      guard labels.allSatisfy({ line.contains($0) }) else { continue }
      return line.split(separator: " ").last.flatMap { Double($0) }
    }
    return nil
  }

  @Test func aDeliveryAndARunMoveTheirSeriesAndPromtoolAgrees() async throws {
    let exporter = try freePort()
    let d = try await HookDaemon(
      schedule: HookTests.schedule, scripts: ["note.lua": HookTests.note],
      args: ["--metrics", "127.0.0.1:\(exporter)", "--log-format", "json"]
    ).ready()
    let id = UUID().uuidString
    let body = HookDaemon.body(id: id, data: HookTests.application(d))
    #expect(try await d.deliver("note", body).status == 200)
    #expect(await eventually { d.runs("note").first?.status == .ok }, "\(d.log)")
    #expect(try await d.deliver("note", body).status == 200)  // again: a duplicate
    #expect(try await d.deliver("note", HookDaemon.body(), signature: .some(nil)).status == 401)
    #expect(try await d.deliver("made-up", HookDaemon.body()).status == 404)
    for url in ["http://127.0.0.1:\(d.port)/metrics", "http://127.0.0.1:\(exporter)/metrics"] {
      let text = try await Self.fetch(url)
      #expect(Self.value(text, "ashby_lua_deliveries_total", [#"hook="note""#, #"outcome="accepted""#]) == 1, "\(text)")
      #expect(Self.value(text, "ashby_lua_deliveries_total", [#"hook="note""#, #"outcome="duplicate""#]) == 1)
      #expect(Self.value(text, "ashby_lua_deliveries_total", [#"hook="note""#, #"outcome="refused_401""#]) == 1)
      // A made-up name adds no series of its own.
      #expect(Self.value(text, "ashby_lua_deliveries_total", [#"hook="unknown""#, #"outcome="refused_404""#]) == 1)
      #expect(!text.contains("made-up"))
      #expect(Self.value(text, "ashby_lua_runs_total", [#"job="note""#, #"status="ok""#]) == 1)
      #expect((Self.value(text, "ashby_lua_ack_seconds_count") ?? 0) >= 4)
      #expect(Self.value(text, "ashby_lua_run_seconds_count") == 1)
      #expect(Self.value(text, "ashby_lua_queue_depth") != nil)
      // The run's own request to Ashby (candidate.createNote), reported by the run.
      #expect((Self.value(text, "ashby_lua_ashby_requests_total", [#"class="write""#, #"status="200""#]) ?? 0) >= 1)
    }
    // Prometheus' own checker, where it is installed (CI installs Debian's prometheus).
    if FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool") {
      let file = d.setup.home.appendingPathComponent("metrics.txt")
      try await Self.fetch("http://127.0.0.1:\(d.port)/metrics").write(to: file, atomically: true, encoding: .utf8)
      let check = Process()
      check.executableURL = URL(fileURLWithPath: "/bin/sh")
      check.arguments = ["-c", "promtool check metrics < \"$1\" > \"$1.out\" 2>&1", "sh", file.path]
      try check.run()
      try await exited(check)
      let said = (try? String(contentsOfFile: file.path + ".out", encoding: .utf8)) ?? ""
      #expect(check.terminationStatus == 0, "promtool: \(said)")
    }
    // One JSON object per log line.
    let lines = d.log.split(separator: "\n").filter { !$0.isEmpty }
    #expect(lines.count > 3)
    for line in lines {
      let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
      #expect(object?["message"] is String && object?["time"] is String, "not a JSON line: \(line)")
    }
    await d.stop()
  }
}
