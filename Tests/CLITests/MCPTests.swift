import AshbyFake
import AshbyTestSupport
import Foundation
import Testing

/// `ashby-lua mcp` driven by the reference Python MCP client (PyPI `mcp`, installed by
/// `scripts/setup-deps test` into .build-tools/mcp) over stdio: Tests/CLITests/MCP/mcp_scenario.py
/// runs a scenario and prints what came back as JSON; these tests check it, and what the fake Ashby received.
@Suite(.serialized, .teardown) struct MCPTests {
  static let python = packageRoot.appendingPathComponent(".build-tools/mcp/bin/python")
  static let scenario = packageRoot.appendingPathComponent("Tests/CLITests/MCP/mcp_scenario.py")

  /// Runs `scenario` against `ashby-lua mcp ARGS...` (or a listening server's URL, then its token); the JSON it printed.
  func drive(_ scenario: String, _ args: [String], env: [String: String] = [:], url: String? = nil) async throws
    -> [String: Any]
  {
    let target = url.map { [$0] } ?? [binary.path, "mcp"]
    // The fake's key, for a script to print: what comes back has it scrubbed.
    let r = try await run(
      [Self.scenario.path, scenario] + target + args, env: env.merging(["MCP_ECHO": FakeAshby.fullKey]) { $1 },
      timeout: 180, executable: Self.python)
    let text = r.stdout, log = r.stderr
    #expect(r.status == 0, "\(log.suffix(3000))")
    #expect(!text.contains(FakeAshby.fullKey), "the key reached the client")
    let json = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
    return try #require(json, "\(text)\n\(log.suffix(3000))")
  }

  func result(_ json: [String: Any], _ key: String) -> (text: String, isError: Bool, structured: [String: Any]) {
    let r = json[key] as? [String: Any] ?? [:]
    return (r["text"] as? String ?? "", r["isError"] as? Bool ?? false, r["structured"] as? [String: Any] ?? [:])
  }

  /// `ashby-lua mcp --listen`, its URL once it listens.
  func listening(_ args: [String], env: [String: String] = [:], host: String = "127.0.0.1") async throws -> String {
    let home = try scratch()
    let (process, log) = try launch(["mcp", "--listen", "\(host):0"] + args, home: home, log: "mcp.log", environment: env)
    for _ in 0..<600 {
      let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
      if let range = text.range(of: #"http://[0-9.]+:\d+/mcp"#, options: .regularExpression) { return String(text[range]) }
      guard process.isRunning else { break }
      try await Task.sleep(for: .milliseconds(50))
    }
    throw MCPTestError("ashby-lua mcp --listen did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
  }

  @Test(arguments: ["stdio", "http"])
  func anAgentReadsRunsPlansAndAppliesOnce(over transport: String) async throws {
    let json =
      transport == "stdio"
      ? try await drive("tour", ["--fake"]) : try await drive("tour", [], url: try await listening(["--fake"]))
    try check(tour: json)
  }

  /// Over HTTP: a bearer token when the server has one, an Origin that is not this machine refused.
  @Test func httpChecksTheTokenAndTheOrigin() async throws {
    do {
      let token = "mcp-token-\(UUID().uuidString)"
      let url = try await listening(["--fake", "--token-env", "MCP_TOKEN"], env: ["MCP_TOKEN": token])
      let good = try await drive("progress", [token], url: url)
      #expect((good["progress"] as? [[Any]])?.isEmpty == false, "\(good)")
      let bad = try await run(
        [Self.scenario.path, "progress", url, "wrong-token"], timeout: 60, executable: Self.python)
      #expect(bad.status != 0 && !bad.stdout.contains("slow done"), "\(bad.all)")
      let initialize = #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#
      let curl = URL(fileURLWithPath: "/usr/bin/curl")
      func status(_ extra: [String]) async throws -> String {
        try await run(
          ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Content-Type: application/json", "-H",
            "Accept: application/json, text/event-stream", "-H", "Authorization: Bearer \(token)", "-d", initialize]
            + extra + [url], timeout: 30, executable: curl
        ).stdout
      }
      let port = url.split(separator: ":").last?.split(separator: "/").first.map(String.init) ?? ""
      #expect(try await status(["-H", "Origin: http://evil.example"]) == "403")
      #expect(try await status(["-H", "Host: evil.example:\(port)"]) != "200", "DNS rebinding: a foreign Host")
      #expect(try await status(["-H", "Origin: http://127.0.0.1:\(port)"]) == "200", "this server's own origin")
      #expect(try await status([]) == "200")
      // Version negotiation: a version the server speaks comes back as asked; one it does not, its latest.
      func negotiated(_ version: String) async throws -> String {
        let asked = initialize.replacingOccurrences(of: "2025-11-25", with: version)
        let body = try await run(
          ["-s", "-H", "Content-Type: application/json", "-H", "Accept: application/json, text/event-stream", "-H",
            "Authorization: Bearer \(token)", "-d", asked, url], timeout: 30, executable: curl
        ).stdout
        guard let range = body.range(of: #""protocolVersion":"[^"]+""#, options: .regularExpression) else { return body }
        return String(body[range].dropFirst(19).dropLast())
      }
      #expect(try await negotiated("2025-03-26") == "2025-03-26")
      #expect(try await negotiated("2024-01-01") == "2025-11-25")
    }
    let refused = try await run(["mcp", "--listen", "0.0.0.0:0", "--fake"])
    #expect(refused.status == 2 && refused.stderr.contains("--token-env"), "\(refused.all)")
    // Off loopback (with its token), clients reach it by any name; a browser only from that name's own origin.
    let token = "mcp-token-\(UUID().uuidString)"
    let url = try await listening(["--fake", "--token-env", "MCP_TOKEN"], env: ["MCP_TOKEN": token], host: "0.0.0.0")
    let port = url.split(separator: ":").last?.split(separator: "/").first.map(String.init) ?? ""
    let wide = try await drive("progress", [token], url: "http://127.0.0.1:\(port)/mcp")
    #expect((wide["progress"] as? [[Any]])?.isEmpty == false, "\(wide)")
    func status(_ extra: [String]) async throws -> String {
      try await run(
        ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Content-Type: application/json", "-H",
          "Accept: application/json, text/event-stream", "-H", "Authorization: Bearer \(token)", "-d",
          #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#]
          + extra + ["http://127.0.0.1:\(port)/mcp"], timeout: 30, executable: URL(fileURLWithPath: "/usr/bin/curl")
      ).stdout
    }
    #expect(try await status(["-H", "Host: ats-bot.internal.example:\(port)"]) == "200")
    #expect(try await status(["-H", "Host: ats-bot.internal.example:\(port)", "-H", "Origin: https://ats-bot.internal.example:\(port)"]) == "200")
    #expect(try await status(["-H", "Origin: http://evil.example"]) == "403")
  }

  func check(tour json: [String: Any]) throws {
    #expect(json["serverName"] as? String == "ashby-lua")
    #expect((json["protocolVersion"] as? String)?.hasPrefix("20") == true)
    let tools = try #require(json["tools"] as? [String: [String: Bool]])
    #expect(Set(tools.keys) == ["search_endpoints", "describe", "run_script", "show_plan", "apply_plan", "audit"])
    #expect(tools["apply_plan"]?["read_only_hint"] == false && tools["apply_plan"]?["destructive_hint"] == true)
    for name in ["search_endpoints", "describe", "run_script", "show_plan", "audit"] {
      #expect(tools[name]?["read_only_hint"] == true, "\(name)")
    }
    #expect(json["resources"] as? [String] == ["ashby://guide", "ashby://stubs/ashby.meta.lua"])
    #expect((json["stubsLength"] as? Int ?? 0) > 10_000)
    #expect(result(json, "describe").text.contains("candidatesWrite"))
    #expect(result(json, "search").text.contains("candidate.create"))

    // The same read-only script reads the same twice; a writing one sends nothing and brings a plan back.
    let read1 = result(json, "read1"), read2 = result(json, "read2")
    #expect(!read1.isError && read1.text == read2.text && read1.text.hasPrefix("126\t"), "\(read1.text)")
    let write = result(json, "write")
    #expect(write.text == "planned\n", "\(write.text)")
    let planID = try #require(write.structured["plan_id"] as? String)
    #expect((write.structured["writes"] as? [String: Int]) == ["create_candidate": 1])
    #expect(result(json, "show").text.contains(planID))
    let apply1 = result(json, "apply1"), apply2 = result(json, "apply2")
    #expect(!apply1.isError && apply1.text.contains("1 applied"), "\(apply1.text)")
    #expect(apply2.isError && apply2.text.contains("already applied"), "\(apply2.text)")
    // Counted at Ashby: nothing after the dry run, one after the apply, still one after applying again.
    #expect(result(json, "countPlanned").text == "0\n" && result(json, "countApplied").text == "1\n")
    #expect(result(json, "countAgain").text == "1\n")
    let foreign = result(json, "foreignPlan")
    #expect(foreign.isError && foreign.text.contains("was not made by this server's run_script"), "\(foreign.text)")
    #expect(result(json, "audit").text.contains("mcp #"), "the audit log names the origin mcp: \(result(json, "audit").text)")

    // A runaway script ends within its limit, as an error; the server keeps serving.
    let runaway = result(json, "runaway")
    #expect(runaway.isError && runaway.text.contains("time limit of 2 s exceeded"), "\(runaway.text)")
    #expect((json["runawaySeconds"] as? Double ?? 99) < 2 + 10)
    #expect(result(json, "after").text == "42\n")
    // The sandbox: no environment, no files.
    let snoop = result(json, "snoop")
    let attempts = snoop.text.split(separator: "\n")
    #expect(!snoop.isError && attempts.count == 4, "\(snoop.text)")
    for attempt in attempts { #expect(attempt.hasPrefix("false\t") && attempt.contains("not available in a sandboxed run"), "\(attempt)") }
    // A script's own error table reads as its kind and message.
    let failing = result(json, "failing")
    #expect(failing.isError && failing.structured["error"] as? String == "mine: nope", "\(failing.structured)")
    #expect(result(json, "args").text == "--verbose\ta\t--\tb\n", "\(result(json, "args").text)")
    #expect(result(json, "echoKey").text == "[redacted]\n", "\(result(json, "echoKey").text)")
    let loud = result(json, "loud")
    #expect(loud.text.utf8.count < 70_000 && (loud.structured["error"] as? String ?? "").utf8.count < 5_000, "\(loud.text.utf8.count)")
    // JSON-RPC errors for an unknown tool and bad or unknown arguments.
    for name in ["unknownTool", "badArgs", "unknownArg"] {
      #expect((json[name] as? [String: Any])?["code"] as? Int == -32602, "\(name): \(json[name] ?? "")")
    }
  }

  /// Without --allow-apply or --fake, a person decides through elicitation; a client that cannot ask is refused.
  @Test(arguments: ["elicit-accept", "elicit-decline", "no-elicit"])
  func applyingAsksAPerson(scenario: String) async throws {
    let f = try await FakeFixture.start()
    let json = try await drive(
      scenario, ["--base-url", f.fake.baseURL.absoluteString], env: ["ASHBY_API_KEY": FakeAshby.fullKey])
    let apply = result(json, "apply")
    #expect(f.fake.count("candidate.create") == (scenario == "elicit-accept" ? 1 : 0), "\(apply.text)")
    switch scenario {
    case "elicit-accept":
      #expect(!apply.isError && apply.text.contains("1 applied"), "\(apply.text)")
      let asked = (json["elicited"] as? [String])?.first ?? ""
      #expect(asked.contains("1 write (1 create_candidate)") && asked.contains("1. candidate.create {"), "\(asked)")
    case "elicit-decline":
      #expect(apply.isError && apply.text.contains("declined"), "\(apply.text)")
    default:
      #expect(apply.isError && apply.text.contains("ashby-lua apply plan-"), "\(apply.text)")
    }
    await f.fake.stop()
  }

  /// The key a profile holds (not the environment's) is scrubbed from what goes back too.
  @Test func aProfilesKeyIsScrubbed() async throws {
    let f = try await FakeFixture.start()
    let config = try scratch()
    try FileManager.default.createDirectory(at: config.appendingPathComponent("ashby-lua"), withIntermediateDirectories: true)
    try "[recruiting]\napi_key = \"\(FakeAshby.fullKey)\"\n".write(
      to: config.appendingPathComponent("ashby-lua/config.toml"), atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes(
      [.posixPermissions: 0o600], ofItemAtPath: config.appendingPathComponent("ashby-lua/config.toml").path)
    let json = try await drive(
      "echo", ["--base-url", f.fake.baseURL.absoluteString, "--profile", "recruiting"],
      env: ["XDG_CONFIG_HOME": config.path])
    #expect(result(json, "echoKey").text == "true\t[redacted]\n", "\(result(json, "echoKey"))")
    await f.fake.stop()
  }

  /// `--max-writes`: a plan with more writes is refused whole; the fake received nothing.
  @Test func aPlanOverTheWriteCapIsRefused() async throws {
    let json = try await drive("capped", ["--fake", "--max-writes", "0"])
    let apply = result(json, "apply")
    #expect(apply.isError && apply.text.contains("has 1 writes; this server applies at most 0"), "\(apply.text)")
    #expect(result(json, "count").text == "0\n")
  }

  /// `--max-concurrent-scripts 1`: three calls at once run one at a time, each whole; a call cancelled while
  /// it waits its turn leaves the line, and the calls after it run.
  @Test func scriptsOverTheCapWaitTheirTurn() async throws {
    let state = try scratch().appendingPathComponent("queue-state.sqlite").path
    let json = try await drive("queue", ["--fake", "--max-concurrent-scripts", "1", "--state", state])
    let queued = json["queued"] as? [[String: Any]] ?? []
    #expect(queued.map { $0["text"] as? String } == ["a\n", "b\n", "c\n"], "\(json)")
    #expect(json["mostAtOnce"] as? Int == 1, "\(json)")
    #expect(json["waiterCancelled"] as? String != nil, "\(json)")
    #expect(result(json, "runaway").isError, "\(json)")
    #expect(result(json, "after").text == "after\n", "\(json)")
    #expect((json["afterSeconds"] as? Double ?? 99) < 40, "\(json)")  // the cancelled waiter's limit is 60 s
  }

  /// The client closing stdin (how MCP clients shut a stdio server down) ends the server at once, and
  /// every script it was running with it: none is left holding the key.
  @Test func closingStdinEndsTheServerAndItsScripts() async throws {
    let state = try scratch().appendingPathComponent("eof-state.sqlite").path
    /// The server's run_script children: the processes whose command line has --max-requests and this state.
    func children() -> [String] {
      let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.filter { Int($0) != nil } ?? []
      return pids.filter { pid in
        let line = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))).map { String(decoding: $0, as: UTF8.self) }
        return line.map { $0.contains("--max-requests") && $0.contains(state) } ?? false
      }
    }
    let server = Process()
    server.executableURL = binary
    server.arguments = ["mcp", "--fake", "--state", state]
    let input = Pipe(), output = Pipe()
    server.standardInput = input
    server.standardOutput = output
    server.standardError = FileHandle.nullDevice
    try server.run()
    defer { if server.isRunning { server.terminate() } }
    // A server that never answers is ended, so the read below returns and the checks fail, not hang.
    let watchdog = Task {
      try await Task.sleep(for: .seconds(120))
      if server.isRunning { server.terminate() }
    }
    defer { watchdog.cancel() }
    func send(_ message: String) { input.fileHandleForWriting.write(Data((message + "\n").utf8)) }
    send(#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#)
    // Its answer, waited for without holding one of the test process's two concurrency threads in a read.
    var answer = pollfd(fd: output.fileHandleForReading.fileDescriptor, events: Int16(POLLIN), revents: 0)
    var polls = 0
    while poll(&answer, 1, 0) == 0 {
      polls += 1
      try #require(polls < 1200, "no answer to initialize in 60 s")
      try await Task.sleep(for: .milliseconds(50))
    }
    _ = output.fileHandleForReading.availableData
    send(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
    send(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"run_script","arguments":{"code":"while true do end","timeout_s":120}}}"#)
    var waited = 0
    while children().isEmpty {
      waited += 1
      try #require(waited < 600, "the script's child never started")  // 30 s
      try await Task.sleep(for: .milliseconds(50))
    }
    input.fileHandleForWriting.closeFile()
    waited = 0
    while server.isRunning || !children().isEmpty {
      waited += 1
      try #require(waited < 600, "30 s after stdin closed: server running \(server.isRunning), children \(children())")  // the script's limit is 120 s
      try await Task.sleep(for: .milliseconds(50))
    }
  }

  @Test func cancellingEndsTheScriptsChildAndProgressIsReported() async throws {
    let cancel = try await drive("cancel", ["--fake", "--state", try scratch().appendingPathComponent("cancel-state.sqlite").path])
    #expect(cancel["childrenLeft"] as? Int == 0, "\(cancel)")
    #expect(result(cancel, "after").text == "1\n")
    let progress = try await drive("progress", ["--fake"])
    #expect(result(progress, "slow").text == "slow done\n")
    let heard = progress["progress"] as? [[Any]] ?? []
    #expect(heard.count >= 2, "\(heard)")
  }
}

struct MCPTestError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}
