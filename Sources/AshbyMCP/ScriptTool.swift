import AshbyJSON
import AshbyPlans
import AshbyProcess
import Foundation
import MCP

/// `run_script`: Lua in a child `ashby-lua run --sandbox --plan`, always a dry
/// run: reads go out, writes become a plan stored by id. The text is what the
/// script printed, nothing of ours, so the same read-only script reads the same
/// twice; the plan, the error and the timings go in `structuredContent`.
struct ScriptTool: Sendable {
  let settings: MCPSettings
  let children: CapturedRun
  let slots: AsyncLimiter

  /// The text's cap: stdout first, then stderr, each.
  static let textCap = 64 * 1024
  /// The error's cap in `structuredContent` (its whole text is in the content already).
  static let errorCap = 4 * 1024

  /// - Parameter progress: called about once a second while the script runs (seconds so far, the limit).
  func call(_ arguments: [String: Value], progress: (@Sendable (Double, Double) async -> Void)? = nil) async throws
    -> CallTool.Result
  {
    guard let code = arguments["code"]?.stringValue else { throw MCPError.invalidParams("run_script needs code, a string of Lua") }
    guard code.utf8.count <= 1 << 20 else { throw MCPError.invalidParams("code is larger than 1 MB") }
    var args: [String] = []
    if let given = arguments["args"] {
      guard let list = given.arrayValue, list.allSatisfy({ $0.stringValue != nil }) else {
        throw MCPError.invalidParams("args must be a list of strings")
      }
      args = list.compactMap(\.stringValue)
    }
    var timeout = settings.defaultTimeout
    if let given = arguments["timeout_s"] {
      guard let seconds = given.doubleValue ?? given.intValue.map(Double.init), seconds > 0 else {
        throw MCPError.invalidParams("timeout_s must be a number of seconds above 0")
      }
      timeout = min(seconds, settings.timeoutCap)
    }
    let folder = children.folder.appendingPathComponent(UUID().uuidString)
    let script = folder.appendingPathComponent("script.lua"), planFile = folder.appendingPathComponent("writes.plan")
    // Plain system calls: FileManager's atomic write and recursive removal were a tenth of an empty
    // script's round trip.
    guard mkdir(folder.path, 0o700) == 0 else {
      throw MCPError.internalError("cannot make a folder for the script: \(String(cString: strerror(errno)))")
    }
    defer {
      unlink(script.path)
      unlink(planFile.path)
      // Anything else (a plan's file half written when its child was killed) goes the long way.
      if rmdir(folder.path) != 0 { try? FileManager.default.removeItem(at: folder) }
    }
    try Data(code.utf8).write(to: script)
    var flags = ["run", "--sandbox", "--quiet", "--timeout", String(timeout), "--max-memory", String(settings.defaultMemoryMB)]
    flags += ["--max-requests", String(settings.maxRequests), "--plan", planFile.path] + settings.sessionFlags
    try await slots.acquire()
    var ticker: Task<Void, any Error>?
    if let progress {
      let limit = timeout
      ticker = Task {
        let started = ContinuousClock.now
        while !Task.isCancelled {
          try await Task.sleep(for: .seconds(1))
          let elapsed = ContinuousClock.now - started
          await progress(Double(elapsed.components.seconds), limit)
        }
      }
    }
    let outcome: CapturedRun.Outcome
    do {
      // In the call's own folder, as `script.lua`: the same script reads the same in every message.
      // `--` first: the agent's args are the script's, as given (`--verbose` too).
      outcome = try await children.run(flags + [script.lastPathComponent, "--"] + args, limit: timeout + 10, in: folder)
      ticker?.cancel()
      await slots.release()
    } catch {
      ticker?.cancel()
      await slots.release()
      throw error
    }
    let plan = (try? Data(contentsOf: planFile)).flatMap { try? Plan(json: JSONValue.decode($0)) }
    var structured: [String: Value] = [
      "exit": .int(Int(outcome.exit)), "seconds": .double((outcome.seconds * 1000).rounded() / 1000),
    ]
    if let plan, !plan.steps.isEmpty {
      structured["plan_id"] = .string(plan.id)
      var counts: [String: Value] = [:]
      for step in plan.steps { counts[step.action] = .int((counts[step.action]?.intValue ?? 0) + 1) }
      structured["writes"] = .object(counts)
      structured["plan"] = .string(settings.scrub(String(PlanText.describe(plan).split(separator: "\n").prefix(12).joined(separator: "\n"))))
    }
    let stderr = Self.scriptsOwn(outcome.stderr, plan: plan)
    if outcome.exit != 0 {
      let killed = outcome.timedOut ? "killed after \(Int(timeout)) s" : "the run failed"  // timeout in (0, 86 400], checked by `mcp`: in range
      // Scrubbed before it is cut: a secret the cut split would no longer be found whole.
      structured["error"] = .string(Self.capped(settings.scrub(outcome.errorMessage ?? killed), Self.errorCap))
    }
    var text = Self.capped(settings.scrub(outcome.stdout), Self.textCap)
    if !stderr.isEmpty {
      text += (text.isEmpty || text.hasSuffix("\n") ? "" : "\n") + Self.capped(settings.scrub(stderr), Self.textCap)
    }
    return CallTool.Result(
      content: [.text(text: text, annotations: nil, _meta: nil)], structuredContent: .object(structured),
      isError: outcome.exit != 0)
  }

  /// `text` cut to at most `cap` bytes of UTF-8, saying how much was left out.
  static func capped(_ text: String, _ cap: Int) -> String {
    let bytes = Array(text.utf8)
    guard bytes.count > cap else { return text }
    return String(decoding: bytes.prefix(cap), as: UTF8.self) + "\n…(\(bytes.count - cap) more bytes)\n"
  }

  /// The child's stderr without what `run --plan` adds of its own (the plan's line, the dry run's summary).
  static func scriptsOwn(_ stderr: String, plan: Plan?) -> String {
    var out: [Substring] = []
    var inDryRun = false
    for line in stderr.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.hasPrefix("dry run: ") {
        inDryRun = true
        continue
      }
      if inDryRun && line.hasPrefix("  ") { continue }
      inDryRun = false
      if let plan, line.hasPrefix("plan \(plan.id) saved to ") { continue }
      if line.hasPrefix("ashby-lua: no plan saved") { continue }
      out.append(line)
    }
    return out.joined(separator: "\n").trimmingCharacters(in: .newlines)
  }
}

/// At most N at once; the rest wait their turn. A caller cancelled while it waits (the agent sent
/// `notifications/cancelled`) leaves the line at once, or gives its turn on if it came meanwhile.
actor AsyncLimiter {
  private var free: Int
  private var waiting: [(id: UInt64, turn: CheckedContinuation<Void, any Error>)] = []
  private var nextID: UInt64 = 0

  init(_ count: Int) { free = max(1, count) }

  func acquire() async throws {
    try Task.checkCancellation()
    if free > 0 {
      free -= 1
      return
    }
    let id = nextID
    nextID += 1
    // The handler's job runs on this actor after the continuation is in line (this job appends it
    // before it suspends), so a cancellation that comes first still finds it.
    try await withTaskCancellationHandler {
      try await withCheckedThrowingContinuation { waiting.append((id, $0)) }
    } onCancel: {
      Task { await self.leave(id) }
    }
    // Cancelled just as its turn came: the turn goes to the next in line, and the caller starts nothing.
    if Task.isCancelled {
      release()
      throw CancellationError()
    }
  }

  func release() {
    if waiting.isEmpty { free += 1 } else { waiting.removeFirst().turn.resume() }
  }

  /// A cancelled caller's place, if it still waits: it is told so; a caller already given its turn keeps it.
  private func leave(_ id: UInt64) {
    guard let index = waiting.firstIndex(where: { $0.id == id }) else { return }
    waiting.remove(at: index).turn.resume(throwing: CancellationError())
  }
}
