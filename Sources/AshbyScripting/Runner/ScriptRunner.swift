import AshbyJSON
import AshbyKit
import AshbyProcess
import AshbyWebhook
import Foundation
import Logging
import LuaHost
import TOMLKit

/// A fake Ashby on loopback for `--fake`: the runner starts one per run when
/// it is given how (`ScriptRunner.start(demo:)`), and stops it at the end.
public protocol DemoServer: Sendable {
  var baseURL: URL { get }
  /// The key the demo data answers to.
  var key: String { get }
  func stop() async
  /// A webhook body of `type` made from the demo's data (`run --event TYPE --fake`); nil for an unknown type.
  func sampleEvent(_ type: String) -> Data?
  /// Where `ashby.notify(name, ...)` posts in a demo: the fake's sink.
  func sinkURL(_ name: String) -> URL
}

/// A script's run, from settings to its end: an `AshbySession` (a VM with the
/// `ashby` table and its client) configured from the settings and the
/// profile, Ctrl-C wired to interrupt the script, the script run as `lua`
/// runs it, its error printed, the dry run's plan, and the report a
/// scheduled run sends back. What `run`, `repl` and `hook` use, and what a
/// test runner or an agent's server would.
public final class ScriptRunner: Sendable {
  public let session: AshbySession
  public let options: RunSettings
  let demo: (any DemoServer)?
  /// The delivery the run answers (a hook's, or `--event`'s): `ashby.event`, and the script's `...`.
  public let event: WebhookDelivery?
  private let signals: [SignalWatcher]

  public var vm: LuaVM { session.vm }
  public var client: AshbyClient { session.client }

  private init(
    session: AshbySession, demo: (any DemoServer)?, options: RunSettings, event: WebhookDelivery?, atPrompt: Bool
  ) {
    self.session = session
    self.demo = demo
    self.options = options
    self.event = event
    // The first Ctrl-C stops the script at its next Lua instruction; code that
    // never returns to Lua (a pattern match, a looping finalizer) does not
    // hear it, so a second one ends the process. At the REPL's prompt, with nothing
    // running, a Ctrl-C ends nothing and says so.
    let vm = session.vm
    @Sendable func interrupt(hint: Bool) {
      switch vm.interrupt() {
      case 0: if hint { Console.error(Self.nothingToInterrupt) }
      case 2...: Self.endProcess(code: ExitStatus.interrupted, message: "interrupted")
      default: break
      }
    }
    self.signals = [
      SignalWatcher(signals: [SIGINT]) { interrupt(hint: atPrompt) },
      SignalWatcher(signals: [SIGTERM]) { interrupt(hint: false) },
    ]
  }

  static let nothingToInterrupt = "(Ctrl-C: no line is running; Ctrl-D or :quit leaves)"

  /// Ends the process from any thread, without waiting for the VM: what the
  /// script printed first, then the message.
  public static func endProcess(code: Int32, message: String) -> Never {
    Console.error("ashby-lua: \(message)")
    _exit(code)
  }

  /// - Parameter report: where a scheduled run reports how it ended, also
  ///   when the watchdog has to end it.
  ///   - feeds: where `ashby.changes` starts from; `event`: a hook's delivery.
  ///   - demo: how to start a fake Ashby, for `--fake`.
  ///   - sampleEvent: a webhook type: `ashby.event` is a sample of it from the fake Ashby's data (`run --event TYPE`).
  ///   - atPrompt: a person types the lines (the REPL): a Ctrl-C with no line running says so.
  public static func start(
    _ options: RunSettings, report: ReportChannel? = nil, feeds: ChangeFeeds = ChangeFeeds(state: nil),
    event given: WebhookDelivery? = nil, sampleEvent: String? = nil, notifyURLs: [String: String] = [:],
    atPrompt: Bool = false, demo start: (@Sendable () async throws -> any DemoServer)? = nil,
    journal: (any WriteJournal)? = nil
  ) async throws -> ScriptRunner {
    let (configured, demo, strict) = try await Self.configuration(for: options, demo: start)
    var configuration = configured
    configuration.journal = journal
    var event = given
    if let type = sampleEvent {
      guard let demo else {
        throw AuthConfig.Failure(
          description: "--event \(type) makes a sample from the fake Ashby's data: add --fake, or give a payload file")
      }
      guard let body = demo.sampleEvent(type) else {
        await demo.stop()
        throw AuthConfig.Failure(description: "--event: \(type) is not a webhook type Ashby sends")
      }
      event = try WebhookDelivery(hook: "run", body: body, receivedAt: Date())
    }
    var vmOptions = LuaVM.Options()
    vmOptions.sandbox = options.sandbox
    if report != nil { vmOptions.sandboxReason = Sandbox.scheduledReason }
    vmOptions.memoryLimit = options.maxMemory.map { $0 << 20 }
    vmOptions.maxConcurrentCalls = max(options.concurrency, 64)
    vmOptions.logger = Loggers.lua
    // What the count hook cannot stop in time, the watchdog does: the same
    // message and exit status as the hook's, and the report for the scheduler.
    let session = try await AshbySession.start(
      configuration, logger: Loggers.ashby(verbose: options.verbose), vm: vmOptions,
      display: Display.forStandardError(quiet: options.quiet, verbose: options.verbose, unattended: report != nil),
      feeds: feeds, event: event,
      strictResults: strict, notifier: Self.notifier(options, given: notifyURLs, demo: demo)
    ) { client, message in
      var limited = RunReport(
        exitCode: ExitStatus.scriptError, kind: LuaErrorKind.limit.rawValue, limit: .time,
        error: "\(LuaErrorKind.limit): \(message)",
        writes: client.writesMade, planned: client.plannedWrites.endpointCalls)
      limited.counting(client)
      report?.send(limited)
      endProcess(code: ExitStatus.scriptError, message: "\(LuaErrorKind.limit): \(message)")
    }
    if let frozen = try Self.frozenClock() {
      _ = try await session.run("require('ashby.clock').freeze(\(frozen))", name: "=ASHBY_LUA_FROZEN_TIME")
    }
    return ScriptRunner(session: session, demo: demo, options: options, event: event, atPrompt: atPrompt)
  }

  /// `ASHBY_LUA_FROZEN_TIME`: the time the run sees (`os.time`, `os.date`, `ashby.util.date`), in epoch seconds
  /// or ISO 8601; what `ashby.test.run` sets when a test froze its clock.
  static func frozenClock() throws -> Int64? {
    guard let text = Environment.value("ASHBY_LUA_FROZEN_TIME"), !text.isEmpty else { return nil }
    if let seconds = Int64(text) { return seconds }
    if let date = Timestamps.parse(text) { return Int64(date.timeIntervalSince1970.rounded(.down)) }
    throw AuthConfig.Failure(description: "ASHBY_LUA_FROZEN_TIME is neither epoch seconds nor an ISO 8601 time: \(text)")
  }

  /// `ashby.notify`'s targets: with --fake, every name posts to the fake's sink (demo data never goes
  /// to a real chat); else the schedule file's (a scheduled run's, from the daemon), then
  /// `[notify.NAME]` of config.toml.
  static func notifier(_ options: RunSettings, given: [String: String], demo: (any DemoServer)?) -> Notifier {
    Notifier(dryRun: options.dryRun) { name in
      if let demo { return demo.sinkURL(name) }
      if let text = given[name], let url = URL(string: text) { return url }
      if let url = try AuthConfig.notifyURL(name, in: AuthConfig.readFile()) { return url }
      throw AuthConfig.Failure(
        description:
          "no notify target \"\(name)\": add [notify.\(name)] with url_env or url_command to \(AuthConfig.configFile.path)")
    }
  }

  /// The client's configuration from the settings and the profile
  /// (`config.toml`, read at most once), the fake Ashby `--fake` started,
  /// and whether result tables are strict.
  static func configuration(
    for options: RunSettings, demo start: (@Sendable () async throws -> any DemoServer)?
  ) async throws -> (AshbyConfiguration, (any DemoServer)?, strict: Bool) {
    var demo: (any DemoServer)?
    var configuration: AshbyConfiguration
    var file: TOMLTable??  // config.toml, read at most once
    func configFile() throws -> TOMLTable? {
      if let file { return file }
      let read = try AuthConfig.readFile()
      file = .some(read)
      return read
    }
    if options.fake {
      guard let start else { throw AuthConfig.Failure(description: "--fake is not available in this program") }
      let server = try await start()
      demo = server
      configuration = AshbyConfiguration(baseURL: server.baseURL, apiKey: AshbyAPIKey(server.key))
    } else if options.cassette?.mode == .replay {
      // Answers come from the file: no key is asked for, none is read.
      configuration = AshbyConfiguration(baseURL: try baseURL(flag: options.baseURL), apiKey: nil)
    } else {
      let (key, _) = try AuthConfig.resolve(profile: options.profile, in: configFile)
      let saved = try AuthConfig.baseURL(profile: options.profile, in: configFile())
      configuration = AshbyConfiguration(baseURL: try baseURL(flag: options.baseURL, profile: saved), apiKey: key)
    }
    if let given = options.cassette {
      let mode: Cassette.Mode =
        switch given.mode {
        case .record: .record
        case .replay: .replay
        case .replayRecordingMissing: .replayRecordingMissing
        }
      do { configuration.cassette = try Cassette(path: given.file, mode: mode, redact: given.redact) } catch {
        throw AuthConfig.Failure(description: "\(error)")
      }
    }
    configuration.dryRun = options.dryRun
    if let version = try options.apiVersion ?? AuthConfig.apiVersion(profile: options.profile, in: configFile()) {
      configuration.apiVersion = version
    }
    configuration.onBehalfOf = try options.onBehalfOf ?? AuthConfig.onBehalfOf(profile: options.profile, in: configFile())
    configuration.maxInFlight = options.concurrency
    configuration.maxWrites = options.maxWrites
    configuration.maxRequests = options.maxRequests
    if let rate = try options.rateLimit ?? AuthConfig.rateLimit(profile: options.profile, in: configFile()) {
      configuration.requestsPerMinute = rate
    }
    let strict = try !options.looseResults && (AuthConfig.strictResults(profile: options.profile, in: configFile()) ?? true)
    return (configuration, demo, strict)
  }

  /// A client alone, without a VM (for commands that call Ashby and run no script);
  /// `finish` it with `stop` on the demo server, if one was started.
  public static func client(
    for options: RunSettings, demo start: (@Sendable () async throws -> any DemoServer)? = nil,
    journal: (any WriteJournal)? = nil
  ) async throws -> (AshbyClient, (any DemoServer)?) {
    var (configuration, demo, _) = try await configuration(for: options, demo: start)
    configuration.journal = journal
    return (AshbyClient(configuration: configuration, logger: Loggers.ashby(verbose: options.verbose)), demo)
  }

  /// `--base-url`, else `ASHBY_BASE_URL`, else Ashby's own.
  /// Where Ashby is: the flag, else `ASHBY_BASE_URL`, else the profile's `base_url`, else Ashby's own.
  public static func baseURL(flag: String?, profile: String? = nil) throws -> URL {
    func given(_ text: String?) -> String? { text.flatMap { $0.isEmpty ? nil : $0 } }
    let text = given(flag) ?? given(Environment.value("ASHBY_BASE_URL")) ?? given(profile)
    guard let text, !text.isEmpty else { return AshbyConfiguration.defaultBaseURL }
    guard isBaseURL(text), let url = URL(string: text) else {
      throw AuthConfig.Failure(description: "ASHBY_BASE_URL is not an http(s) URL: \(text)")
    }
    return url
  }

  public static func isBaseURL(_ text: String) -> Bool {
    guard let url = URL(string: text), url.host != nil else { return false }
    return ["http", "https"].contains(url.scheme ?? "")
  }

  /// How a script ended: its exit code, and the error that ended it, if one did.
  public struct End: Sendable {
    public var code: Int32
    public var error: ScriptError?
    public var message: String?
  }

  /// Runs `-e` chunks, then the script, like `lua`; errors go to stderr.
  /// A hook's script gets the delivery's payload as `...`.
  public func runMain(script: String?, arguments: [String], chunks: [String]) async -> End {
    let values = (event.map { [$0.payload] } ?? []) + arguments.map(LuaValue.string)
    let end = await execute(script: script, arguments: arguments, values: values, chunks: chunks)
    // A progress line left by work that stopped early (a loop over pages that broke) goes now.
    _ = try? await vm.perform { ctx in
      try ctx.run("local p = package.loaded['ashby.progress'] if p then p.clear() end", name: "=(end of run)")
    }
    if let error = end.error {
      report(error)
    } else if let message = end.message {
      Console.error("ashby-lua: \(message)")
    }
    return end
  }

  private func execute(script: String?, arguments: [String], values: [LuaValue], chunks: [String]) async -> End {
    let timeout = options.timeout
    do {
      try await vm.perform { ctx in
        ctx.setGlobal("arg", Self.argTable(script: script, arguments: arguments))
        for chunk in chunks {
          try ctx.load(chunk, name: "=(command line)")
          try ctx.call(timeout: timeout) { _, _ in () }
        }
        guard let script else { return }
        try ctx.loadFile(script == "-" ? nil : script, rawPath: RawArguments.bytes(of: script))  // stdin, shebang lines, binary chunks
        try ctx.call(args: values, timeout: timeout) { _, _ in () }
      }
      return End(code: 0)
    } catch let error as ScriptError {
      return End(code: ExitStatus.code(for: error), error: error, message: error.message)
    } catch {
      return End(code: ExitStatus.scriptError, message: "\(error)")
    }
  }

  /// After the script: the dry-run plan, then shutting the client (and fake) down.
  /// - Returns: false when the cassette the run recorded could not be written.
  @discardableResult
  public func finish() async -> Bool {
    if options.dryRun { DryRunPlan.report(client.plannedWrites) }
    await session.shutdown()
    await demo?.stop()
    guard let cassette = client.configuration.cassette else { return true }
    do {
      try cassette.save()
      if options.verbose { Console.error("ashby-lua: cassette \(cassette.path): \(cassette.summary)") }
      return true
    } catch {
      Console.error("ashby-lua: \(error)")
      return false
    }
  }

  /// `arg[0]` is the script, `arg[1...]` its arguments, `arg[-1]` the program.
  public static func argTable(script: String?, arguments: [String]) -> LuaValue {
    var table: [LuaValue: LuaValue] = [.integer(-1): .string(CommandLine.arguments.first ?? "ashby-lua")]
    // As the command line gave them: a name that is not UTF-8 keeps its bytes.
    func value(_ text: String) -> LuaValue {
      RawArguments.bytes(of: text).map { .bytes($0.dropLast().map { UInt8(bitPattern: $0) }) } ?? .string(text)
    }
    if let script { table[.integer(0)] = value(script) }
    for (i, a) in arguments.enumerated() { table[.integer(Int64(i + 1))] = value(a) }
    return .table(table)
  }

  /// Prints the error and the traceback, trimmed to the script's own frames.
  public func report(_ error: ScriptError) {
    var text = "ashby-lua: \(error.message)"
    let frames = error.traceback.split(separator: "\n").dropFirst().filter { line in
      !line.contains("[C]: in ?") && !line.contains("[C]: in function 'error'") && !line.contains("ashby.prelude")
    }
    if !frames.isEmpty { text += "\nstack traceback:\n" + frames.joined(separator: "\n") }
    if error.kind == .auth {
      text += "\n(set a key with `ashby-lua auth login` or ASHBY_API_KEY; try --fake for the demo data)"
    }
    Console.error(text)
  }
}
