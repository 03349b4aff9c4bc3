import AshbyCatalog
import AshbyJSON
import AshbyPlans
import AshbyScripting
import AshbyProcess
import Foundation
import MCP
import Synchronization

/// `ashby-lua mcp`: the Model Context Protocol over stdio (docs/mcp.md).
/// An agent finds and reads endpoints in the catalog, runs Lua in a sandboxed
/// child as a dry run, and gets back a plan id; applying it goes through the
/// plans feature (once, drift-checked, audited) and, unless the server was
/// started to allow it, through a person (elicitation).
public final class AshbyMCPServer: Sendable {
  let settings: MCPSettings
  let children: CapturedRun
  let scripts: ScriptTool
  /// Whether each session's client said it can ask its user (elicitation), from its `initialize`.
  let clientElicits = Mutex<[ObjectIdentifier: Bool]>([:])
  /// The plans this server's `run_script` made: the only ones `apply_plan` applies (a person's own
  /// plans, and undo plans, are a person's to apply).
  let madePlans = Mutex<Set<String>>([])

  public init(settings: MCPSettings) throws {
    self.settings = settings
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ashby-lua-mcp-\(UUID().uuidString)")
    // Scripts' output and plans hold candidates' data: this user's only.
    try FileManager.default.createDirectory(
      at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    children = CapturedRun(program: settings.program, environment: settings.environment, folder: folder, ownGroup: true)
    scripts = ScriptTool(settings: settings, children: children, slots: AsyncLimiter(settings.maxConcurrentScripts))
  }

  static let guideURI = "ashby://guide", stubsURI = "ashby://stubs/ashby.meta.lua"

  /// Serves on `transport` until the client goes. Its scripts' children go with it: a client closes
  /// stdin to shut a server down (and sends SIGTERM only later, if ever), and no answer can reach it now.
  public func serve(_ transport: any Transport, version: String) async throws {
    let server = try await start(transport, version: version)
    await server.waitUntilCompleted()
    stopNow()
  }

  /// Removes the server's work folder.
  public func finish() { try? FileManager.default.removeItem(at: children.folder) }

  /// Stopped by a signal: its children end first, then its work folder goes.
  public func stopNow() {
    children.killAll()
    finish()
  }

  /// Forgets a session's client (its server ended).
  func forget(_ server: Server) { clientElicits.withLock { $0[ObjectIdentifier(server)] = nil } }

  /// A server of the tools and resources, started on `transport` (one per MCP session).
  func start(_ transport: any Transport, version: String) async throws -> Server {
    let server = Server(
      name: "ashby-lua", version: version,
      instructions:
        "Script the Ashby ATS in Lua. search_endpoints and describe read the catalog; run_script runs Lua against the `ashby` table as a dry run (writes become a plan); apply_plan makes a plan's writes once, after a person agrees.",
      capabilities: .init(resources: .init(subscribe: false, listChanged: false), tools: .init(listChanged: false)))
    await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: Self.tools) }
    await server.withMethodHandler(CallTool.self) { [self] params in
      try await self.call(params.name, params.arguments ?? [:], progressToken: params._meta?.progressToken, server: server)
    }
    await server.withMethodHandler(ListResources.self) { _ in
      ListResources.Result(resources: [
        Resource(
          name: "guide", uri: Self.guideURI, description: "The ashby table in short: actions, functions, modules",
          mimeType: "text/plain"),
        Resource(
          name: "ashby.meta.lua", uri: Self.stubsURI, description: "LuaLS type stubs of the ashby table and every endpoint",
          mimeType: "text/x-lua"),
      ])
    }
    await server.withMethodHandler(ReadResource.self) { params in
      switch params.uri {
      case Self.guideURI: return ReadResource.Result(contents: [.text(AshbyDocs.guide, uri: params.uri, mimeType: "text/plain")])
      case Self.stubsURI: return ReadResource.Result(contents: [.text(AshbyDocs.stubs, uri: params.uri, mimeType: "text/x-lua")])
      default: throw MCPError.invalidParams("no resource \(params.uri)")
      }
    }
    try await server.start(transport: transport) { [self] _, capabilities in
      self.clientElicits.withLock { $0[ObjectIdentifier(server)] = capabilities.elicitation != nil }
    }
    return server
  }

  /// Each tool's arguments (as its schema in `tools` says): any other is refused, never ignored.
  static let argumentNames: [String: Set<String>] = [
    "search_endpoints": ["query"], "describe": ["name"], "run_script": ["code", "args", "timeout_s"],
    "show_plan": ["plan_id"], "apply_plan": ["plan_id"], "audit": ["limit", "run_id"],
  ]

  func call(_ name: String, _ arguments: [String: Value], progressToken: ProgressToken?, server: Server) async throws
    -> CallTool.Result
  {
    guard let known = Self.argumentNames[name] else { throw MCPError.invalidParams("no tool \(name)") }
    if let unknown = arguments.keys.sorted().first(where: { !known.contains($0) }) {
      throw MCPError.invalidParams("\(name) takes no argument \(unknown) (it takes \(known.sorted().joined(separator: ", ")))")
    }
    switch name {
    case "search_endpoints":
      guard let query = arguments["query"]?.stringValue else { throw MCPError.invalidParams("search_endpoints needs query") }
      let found = AshbyDocs.search(query)
      let text = found.isEmpty ? "nothing matches \"\(query)\"" : found.map { "\($0.name)  (\($0.kind); \($0.summary))" }.joined(separator: "\n")
      return CallTool.Result(
        content: [.text(text: text, annotations: nil, _meta: nil)],
        structuredContent: .object([
          "matches": .array(found.map { .object(["name": .string($0.name), "kind": .string($0.kind), "writes": .bool($0.writes)]) })
        ]))
    case "describe":
      guard let what = arguments["name"]?.stringValue else { throw MCPError.invalidParams("describe needs name") }
      let bare = what.hasPrefix("ashby.") ? String(what.dropFirst(6)) : what
      let text = AshbyDocs.describe(bare)
      return CallTool.Result(content: [.text(text: text, annotations: nil, _meta: nil)], isError: text.hasPrefix("no help for"))
    case "run_script":
      // A client that gave a progress token hears how long the script has run, about once a second.
      var report: (@Sendable (Double, Double) async -> Void)?
      if let token = progressToken {
        report = { @Sendable seconds, limit in
          try? await server.notify(
            ProgressNotification.message(
              .init(
                progressToken: token, progress: seconds, total: limit,
                message: "the script has run \(Int(seconds)) s")))  // whole seconds under the limit (≤ 86 400): in range
        }
      }
      let result = try await scripts.call(arguments, progress: report)
      if case .object(let fields)? = result.structuredContent, let id = fields["plan_id"]?.stringValue {
        madePlans.withLock { _ = $0.insert(id) }
      }
      return result
    case "show_plan":
      let id = try planID(arguments)
      return try await command(["plan", "show", id] + settings.stateFlags, limit: 30)
    case "apply_plan":
      return try await apply(try planID(arguments), server: server)
    case "audit":
      var args = ["audit"] + settings.stateFlags
      if let limit = arguments["limit"]?.intValue {
        guard (1...1000).contains(limit) else { throw MCPError.invalidParams("limit must be from 1 to 1000") }
        args += ["--limit", String(limit)]
      }
      if let run = arguments["run_id"]?.stringValue { args += ["--run", run] }
      return try await command(args, limit: 30)
    default:
      throw MCPError.invalidParams("no tool \(name)")
    }
  }

  func planID(_ arguments: [String: Value]) throws -> String {
    guard let id = arguments["plan_id"]?.stringValue, id.hasPrefix("plan-"), id.count <= 64,
      id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" })
    else { throw MCPError.invalidParams("plan_id must be a plan's id, like plan-3c41e0b9d1f2") }
    return id
  }

  /// `apply_plan`: only a plan this server made, within `--max-writes`; a person agrees first
  /// (elicitation), unless the server was started to allow it.
  func apply(_ id: String, server: Server) async throws -> CallTool.Result {
    guard madePlans.withLock({ $0.contains(id) }) else {
      return refusal(
        "plan \(id) was not made by this server's run_script: a person reviews it with `ashby-lua plan show \(id)` and makes it with `ashby-lua apply \(id)`")
    }
    let shown = try await children.run(["plan", "show", id, "--json"] + settings.stateFlags, limit: 30)
    guard shown.exit == 0 else { return result(shown) }
    guard let json = try? JSONValue.decode(Data(shown.stdout.utf8)), let plan = try? Plan(json: json) else {
      return refusal("plan \(id) could not be read to check it; nothing was applied")
    }
    if let cap = settings.maxWrites, plan.steps.count > cap {
      return refusal(
        "plan \(id) has \(plan.steps.count) writes; this server applies at most \(cap) (--max-writes): nothing was applied")
    }
    if !settings.allowApply {
      guard clientElicits.withLock({ $0[ObjectIdentifier(server)] ?? false }) else {
        return refusal(
          "this server applies plans only when a person agrees, and this client cannot ask one; a person can review it with `ashby-lua plan show \(id)` and make it with `ashby-lua apply \(id)`"
        )
      }
      let answer = try await server.requestElicitation(
        message: settings.scrub(Self.approval(plan)),
        requestedSchema: .init(
          properties: ["apply": .object(["type": .string("boolean"), "description": .string("Apply the plan now")])],
          required: ["apply"]))
      guard answer.action == .accept, answer.content?["apply"]?.boolValue == true else {
        return refusal("the person declined: plan \(id) was not applied")
      }
    }
    return try await command(["apply", id] + settings.applyFlags, limit: 600)
  }

  /// What the person is asked: the count and actions first, then every write as one line of JSON (an
  /// agent's text cannot pose as the plan's own lines), up to 40, and how many more.
  static func approval(_ plan: Plan) -> String {
    var counts: [String: Int] = [:]
    for step in plan.steps { counts[step.action, default: 0] += 1 }
    let byAction = counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
    var text = "Apply plan \(plan.id) to Ashby at \(plan.baseURL): \(plan.steps.count) write\(plan.steps.count == 1 ? "" : "s") (\(byAction)), made once, checked for drift first, and audited.\n"
    if let user = plan.onBehalfOf { text += "As the Ashby user \(user) (X-On-Behalf-Of).\n" }
    for (i, step) in plan.steps.prefix(40).enumerated() {
      let bytes = step.params.encodedBytes()
      let params = String(decoding: bytes.prefix(300), as: UTF8.self) + (bytes.count > 300 ? " …(\(bytes.count - 300) more bytes)" : "")
      text += "\(i + 1). \(step.endpoint) \(params)\n"
      if let url = step.uploadFrom { text += "   and uploads the resume downloaded from \(url)\n" }
    }
    if plan.steps.count > 40 { text += "... and \(plan.steps.count - 40) more writes (ashby-lua plan show \(plan.id))\n" }
    return text
  }

  func refusal(_ text: String) -> CallTool.Result {
    CallTool.Result(content: [.text(text: text, annotations: nil, _meta: nil)], isError: true)
  }

  func command(_ args: [String], limit: Double) async throws -> CallTool.Result {
    result(try await children.run(args, limit: limit))
  }

  func result(_ outcome: CapturedRun.Outcome) -> CallTool.Result {
    let text = settings.scrub([outcome.stdout, outcome.stderr].filter { !$0.isEmpty }.joined(separator: "\n"))
    return CallTool.Result(
      content: [.text(text: text, annotations: nil, _meta: nil)],
      structuredContent: .object(["exit": .int(Int(outcome.exit))]), isError: outcome.exit != 0)
  }
}
