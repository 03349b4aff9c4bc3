import AshbyKit
import AshbyProcess
import AshbyScripting
import Foundation
import LuaHost

/// The read-eval-print loop, after Lua's own lua.c: try a line as `return
/// <line>`, else as a statement; keep reading while the chunk is incomplete
/// (`<eof>`); run it as a host coroutine so `ashby.*` calls work; print the
/// results with the stdlib printer. See docs/repl.md.
public struct Repl {
  let session: ScriptRunner
  var reader: any LineReader & Sendable
  let interactive: Bool
  let color: Bool
  var timeNextLine = false
  var failures = 0

  static let help = """
    Lua 5.4 with the ashby table. Type Lua; expressions print their value (`=expr` works too),
    `_` holds the last result. Multi-line input continues with >>. Tab completes names.
    ashby.help()  the ashby functions      ashby.help(ashby.get_job)  one function
    :help         this text                :time   time the next line and count its API calls
    :chart [LABEL VALUE]  the last result (a list of rows, or label = number) as a bar chart
    :quit         leave (or Ctrl-D)        Ctrl-C  cancel the running line
    Top-level `local` variables last one line, as in `lua`; use globals to keep values.
    """

  /// The loop on standard input with `runner`'s VM: line editing, history in
  /// `historyFile` and completion on a terminal; otherwise lines from the pipe,
  /// no prompts, no colour, one result per line. Returns the exit code.
  public static func run(_ runner: ScriptRunner, historyFile: URL) async throws -> Int32 {
    try await runner.vm.perform { ctx in
      try ctx.load(
        "local repl = require('ashby.repl'); ashby_repl_run, ashby_repl_complete, ashby_repl_chart = repl.run, repl.complete, repl.chart",
        name: "=repl")
      try ctx.call { _, _ in () }
    }
    let interactive = isatty(STDIN_FILENO) != 0
    let color = interactive && isatty(STDOUT_FILENO) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
    let vm = runner.vm
    let reader: any LineReader & Sendable =
      interactive
      ? EditLineReader(historyFile: historyFile, complete: { Repl.completions(vm, $0, line: $1) })
      : PipeReader()
    var repl = Repl(session: runner, reader: reader, interactive: interactive, color: color)
    return await repl.loop()
  }

  /// Runs until end of input. Returns the exit code.
  mutating func loop() async -> Int32 {
    if interactive {
      print(
        "ashby-lua (Lua 5.4) — :help for help, Ctrl-D to leave\(session.options.fake ? " — fake Ashby" : "")"
          + (session.options.dryRun ? " — dry run" : ""))
    }
    while let first = await readLine(prompt: "> ") {
      let trimmed = first.trimmingCharacters(in: .whitespaces)
      if trimmed.isEmpty { continue }
      // `help`, `exit` and `quit` alone do what a newcomer means (as Python's REPL answers them), not print nil.
      if trimmed.hasPrefix(":") || ["help", "exit", "quit"].contains(trimmed) {
        remember(first)
        if handleCommand(trimmed.hasPrefix(":") ? trimmed : ":" + trimmed) { break }
        continue
      }
      // `=expr` is already an expression: it is not tried as `return return expr`.
      let expanded = first.hasPrefix("=")
      var lines = [first]
      var source = expanded ? "return " + first.dropFirst() : first
      while await evaluate(source, asExpression: !expanded, canContinue: true) == .needsMore {
        guard let more = await readLine(prompt: ">> ") else {
          _ = await evaluate(source, asExpression: !expanded, canContinue: false)  // says why it is incomplete
          break
        }
        lines.append(more)
        source += "\n" + more
      }
      remember(lines.joined(separator: "\n"))
    }
    reader.save()
    if interactive { print("") }
    return failures > 0 && !interactive ? ExitStatus.scriptError : 0
  }

  // MARK: Reading

  /// Keeps an entry in the history, unless it holds the API key.
  mutating func remember(_ entry: String) {
    if session.client.configuration.apiKey?.appears(in: entry) != true { reader.remember(entry) }
  }

  /// One line from the reader, read on a thread of its own: waiting for a
  /// person must never hold one of Swift concurrency's few threads.
  mutating func readLine(prompt: String) async -> String? {
    let reader = self.reader
    let prompt = interactive ? prompt : ""
    let (line, after) = await withCheckedContinuation { continuation in
      Thread {
        var reader = reader
        let line = reader.read(prompt: prompt)
        continuation.resume(returning: (line, reader))
      }.start()
    }
    self.reader = after
    return line
  }

  // MARK: Evaluating

  enum Step: Sendable, Equatable {
    /// The chunk ends too early (Lua's `<eof>` error): read another line.
    case needsMore
    case done
  }

  /// Compiles the chunk as lua.c does, `return <chunk>` first (so `1 + 1` prints 2), else as
  /// statements, and runs what compiled: at most two compiles, and the chunk that compiled is the
  /// one that runs. An incomplete chunk is `.needsMore` while another line may come.
  mutating func evaluate(_ source: String, asExpression: Bool, canContinue: Bool) async -> Step {
    enum Outcome: Sendable { case needsMore, printed(String?) }
    let color = self.color
    let callsBefore = session.client.requestsSent
    let started = ContinuousClock.now
    let timeout = session.options.timeout
    let outcome: Outcome
    do {
      outcome = try await session.vm.perform { ctx -> Outcome in
        if !asExpression || (try? ctx.load("return " + source, name: "=stdin")) == nil {
          do {
            try ctx.load(source, name: "=stdin")
          } catch let error as ScriptError where error.incompleteInput && canContinue {
            return .needsMore
          }
        }
        ctx.pushGlobal("ashby_repl_run")
        ctx.stack.insert(-2)
        ctx.stack.push(.boolean(color))
        return .printed(
          try ctx.call(stackArguments: 2, timeout: timeout) { stack, n in
            n > 0 ? stack.string(at: stack.count - n + 1) : nil
          })
      }
    } catch let error as ScriptError {
      outcome = .printed(nil)
      failures += 1
      Console.error(error.kind == .cancelled ? "cancelled" : error.message)
    } catch {
      outcome = .printed(nil)
      failures += 1
      Console.error("\(error)")
    }
    guard case .printed(let text) = outcome else { return .needsMore }
    if let text { print(text) }
    if timeNextLine {
      timeNextLine = false
      let seconds = Double((ContinuousClock.now - started) / .microseconds(1)) / 1e6
      let calls = session.client.requestsSent - callsBefore
      print(String(format: "(%.3f s, %d API call%@)", seconds, calls, calls == 1 ? "" : "s"))
    }
    fflush(nil)
    return .done
  }

  /// `:chart [LABEL VALUE]`: the last result (`_`) as a bar chart: a list of rows (their
  /// LABEL and VALUE fields, `label`/`value` by default, or `{label, value}` pairs) or a
  /// table of label = number.
  func chart(_ keys: [String]) {
    let args: [LuaValue] = keys.prefix(2).map { LuaValue.string($0) }
    do {
      let text = try session.vm.performBlocking { ctx -> String? in
        try ctx.callProtected("ashby_repl_chart", args: args).first?.stringValue
      }
      print(text ?? "(nothing to chart)")
    } catch {
      Console.error("\(error)")
    }
  }

  /// `:help`, `:time`, `:chart`, `:quit`. Returns true to leave.
  mutating func handleCommand(_ line: String) -> Bool {
    switch line.split(separator: " ").first ?? "" {
    case ":help", ":h", ":?": print(Self.help)
    case ":time", ":t":
      timeNextLine = true
      if interactive { print("the next line will be timed") }
    case ":quit", ":q", ":exit": return true
    case ":chart", ":c": chart(line.split(separator: " ").dropFirst().map(String.init))
    default: Console.error("unknown command \(line); :help lists them")
    }
    return false
  }

  /// Completions for the REPL's Tab key: endpoint and field names inside
  /// `ashby.call(...)`, else names computed in Lua without side effects.
  static func completions(_ vm: LuaVM, _ text: String, line: String) -> [String] {
    if let names = CallCompletion.names(word: text, line: line) { return names }
    let values =
      (try? vm.performBlocking { ctx in try ctx.callProtected("ashby_repl_complete", args: [.string(text)]) }) ?? []
    return values.first?.arrayValue?.compactMap(\.stringValue) ?? []
  }
}
