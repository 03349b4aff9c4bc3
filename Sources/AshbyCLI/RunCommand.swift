import ArgumentParser
import AshbyCatalog
import AshbyJSON
import AshbyKit
import AshbyPlans
import AshbyProcess
import AshbyScripting
import AshbyState
import Foundation
import LuaHost

/// `ashby-lua run SCRIPT [ARGS...]`, like `lua SCRIPT ARGS...`.
package struct RunCommand: AsyncParsableCommand {
  package init() {}
  package static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run a Lua script (like `lua SCRIPT`): `arg` and `...` hold the arguments.",
    discussion: "SCRIPT may be `-` for standard input. A first line starting with `#` is ignored."
  )

  @Option(name: .customShort("e"), help: ArgumentHelp("Run CODE before the script (repeatable).", valueName: "CODE"))
  package var execute: [String] = []

  @OptionGroup var session: SessionOptions

  @Option(
    help: ArgumentHelp(
      "Run as a dry run and save the writes as a plan in FILE (and by its id in the state), to review with `plan show` and make with `apply`.",
      valueName: "FILE"))
  package var plan: String?

  /// Gone: `--plan` saves a plan that `apply` makes exactly.
  @Option(name: .customLong("plan-json"), help: .hidden) package var retiredPlanJSON: String?

  @Option(
    help: ArgumentHelp(
      "Keep ashby.changes' place under NAME (in the state, as a scheduled job keeps its own); it moves on only when the run succeeds.",
      valueName: "NAME"))
  package var feed: String?

  @Option(help: ArgumentHelp(AuditJournal.stateHelp, valueName: "STATE"))
  package var state: String?

  @Option(
    help: ArgumentHelp(
      "Send at most N writes; the next is refused before it is sent, with a limit error (err.limit = \"writes\").",
      valueName: "N"))
  package var maxWrites: Int?

  @Option(
    help: ArgumentHelp(
      "Send at most N requests to Ashby (retries count); the next is refused with a limit error (err.limit = \"requests\").",
      valueName: "N"))
  package var maxRequests: Int?

  @Option(
    help: ArgumentHelp(
      "Run the script as a hook answering this delivery (`ashby.event`, `...`): a webhook body FILE as Ashby POSTs it, or a webhook TYPE, sampled from the fake Ashby's data (with --fake).",
      valueName: "FILE_OR_TYPE"))
  package var event: String?

  @Option(
    help: ArgumentHelp(
      "Record every request to Ashby and its answer in FILE, a cassette (never the key; people's data replaced by stand-ins unless --redact none).",
      valueName: "FILE"))
  package var record: String?

  @Option(
    help: ArgumentHelp(
      "Answer every request from the cassette FILE: no network, no key; a request it lacks is an error.",
      valueName: "FILE"))
  package var replay: String?

  @Flag(help: "With --replay: send what the cassette lacks to Ashby and add it to the cassette.")
  package var recordMissing = false

  @Option(
    help: ArgumentHelp(
      "What --record replaces in answers: pii (names, emails, phone numbers, resume and profile URLs; the default) or none.",
      valueName: "pii|none"))
  package var redact: String?

  @Argument(parsing: .captureForPassthrough, help: "The script, then its arguments.")
  package var scriptAndArguments: [String] = []

  package func validate() throws {
    if let first = scriptAndArguments.first, first == "--help" || first == "-h" {
      throw CleanExit.helpRequest(self)
    }
    if scriptAndArguments.first == "--version" { throw CleanExit.message(CommandLineMain.version) }
    // An option of ours before the script was parsed already: what is left
    // there is a typo, not the script's name (`--dryrun` is no file).
    if let first = scriptAndArguments.first, first.hasPrefix("-"), first != "-", first != "--" {
      let name = String(first.prefix { $0 != "=" })
      let hint = Suggestion.closest(name, Self.optionNames).map { " (did you mean \($0)?)" } ?? ""
      throw ValidationError("unknown option \(name)\(hint); `ashby-lua run --help` lists the options.")
    }
    if scriptAndArguments.isEmpty && execute.isEmpty {
      throw ValidationError("Give a script to run, `-` for standard input, or -e CODE.")
    }
    if retiredPlanJSON != nil {
      throw ValidationError(
        "--plan-json is gone: use --plan FILE, which saves a plan to review with `ashby-lua plan show FILE` and make exactly with `ashby-lua apply FILE`.")
    }
    if let feed, feed.isEmpty || feed.count > 200 || !feed.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) {
      throw ValidationError("--feed must be a name of letters, digits, \"-\", \"_\" and \".\".")
    }
    // `--state NAME` named a change feed's place before --state named the state itself.
    if let state, !StateLocation.isPostgres(state), !state.contains("/"), !FileManager.default.fileExists(atPath: state),
      ![".sqlite", ".sqlite3", ".db"].contains(where: { state.hasSuffix($0) })
    {
      throw ValidationError(
        "--state now names the state (a SQLite file like ./state.sqlite, or a postgres:// URL); to keep ashby.changes' place under \"\(state)\", use --feed \(state).")
    }
    if record != nil && replay != nil {
      throw ValidationError("--record and --replay cannot be used together (to add to a cassette: --replay FILE --record-missing).")
    }
    if recordMissing && replay == nil { throw ValidationError("--record-missing goes with --replay FILE.") }
    if (record != nil || replay != nil) && session.fake {
      throw ValidationError("--fake cannot be used with --record or --replay: record against an Ashby (`fake-server` works).")
    }
    if let redact {
      guard ["pii", "none"].contains(redact) else { throw ValidationError("--redact must be pii or none, got \"\(redact)\".") }
      // A cassette keeps what it was recorded with (its "redacted"): another setting would mix the two in one file.
      guard record != nil else { throw ValidationError("--redact goes with --record: a replayed cassette keeps what it was recorded with.") }
    }
    if let maxRequests, !(1...1_000_000_000).contains(maxRequests) {
      throw ValidationError("--max-requests must be a whole number of requests from 1 to 1000000000.")
    }
    if let maxWrites, !RunLimits.maxWrites.contains(maxWrites) {
      throw ValidationError("--max-writes must be a whole number of writes from 0 to \(RunLimits.maxWrites.upperBound).")
    }
  }

  package func run() async throws {
    let rest = scriptAndArguments.first == "--" ? Array(scriptAndArguments.dropFirst()) : scriptAndArguments
    var settings = session.settings
    settings.maxWrites = maxWrites
    settings.maxRequests = maxRequests
    if plan != nil { settings.dryRun = true }
    if let record { settings.cassette = RunSettings.Cassette(file: record, mode: .record, redact: redact != "none") }
    if let replay { settings.cassette = RunSettings.Cassette(file: replay, mode: recordMissing ? .replayRecordingMissing : .replay) }
    let code = await Self.perform(
      script: rest.first, arguments: Array(rest.dropFirst()), chunks: execute, settings: settings,
      planFile: plan, feed: feed, state: state, event: event)
    if code != 0 { throw ExitCode(code) }
  }

  /// A run, from plain settings: what `run()` does after parsing, and what
  /// `ashby-lua run SCRIPT ARGS...` with no flags does without parsing.
  package static func perform(
    script: String?, arguments args: [String], chunks: [String], settings: RunSettings, planFile: String?,
    feed: String? = nil, state stateFlag: String? = nil, event eventOption: String? = nil
  ) async -> Int32 {
    // Only an argument that looks like an option, before any `--`, costs the parser's reflection here (its
    // help text, a millisecond): what follows `--` is the script's unread, as `ashby-lua mcp` passes it.
    if args.prefix(while: { $0 != "--" }).contains(where: { $0.hasPrefix("-") }),
      let option = ScriptArguments.misplacedOption(in: args, options: ownOptions)
    {
      let name = script ?? "SCRIPT"
      Console.error(
        """
        ashby-lua: \(option) comes after the script, where it would go to the script and not to ashby-lua; nothing was run.
          ashby-lua run \(option) \(name) ...      for ashby-lua's \(option)
          ashby-lua run \(name) -- \(option) ...   to pass it to the script
        """)
      return Exit.usage
    }
    let args = ScriptArguments.forScript(args)
    // Started by `schedule`: the report goes back on a pipe, the event and the
    // sync tokens come on another, and the run ends with the daemon.
    let attachment: ScheduledChild.Attachment?
    let feeds: ChangeFeeds
    var store: StateStore?
    do {
      attachment = try ScheduledChild.attach()
      if let input = attachment?.input {
        feeds = ChangeFeeds(state: input.state, tokens: input.syncTokens)
      } else if let state = feed {
        // `--state`, else `ASHBY_LUA_STATE` (a PostgreSQL URL, say) if set, else the default SQLite file.
        let spec = StateLocation.choose(flag: stateFlag, file: nil)
        let history: StateStore
        do {
          history = try StateLocation.store(spec, passwordCommand: nil, postgres: ProgramParts.postgres)
        } catch is StateLocation.NeedsPostgres {
          Handover.toServer(for: "a PostgreSQL state")
        } catch {
          throw StateLocation.Unopened(spec: spec, error: error)
        }
        store = history
        feeds = ChangeFeeds(state: state, tokens: try history.syncTokens(state: state))
      } else {
        feeds = ChangeFeeds(state: nil)
      }
    } catch {
      Console.error("ashby-lua: \(error)")
      return Exit.usage
    }
    var event = attachment?.input.event
    var sampleEvent: String?
    if event == nil, let eventOption {
      do {
        switch try EventOption.resolve(eventOption) {
        case .delivery(let given): event = given
        case .sample(let type): sampleEvent = type
        }
      } catch {
        Console.error("ashby-lua: \(error)")
        return Exit.usage
      }
    }
    // A scheduled run's settings come with its input, as data (its command line is the script and its arguments).
    let settings = attachment?.input.settings ?? settings
    // A scheduled run's input is read already, so it cannot be handed over: the daemon starts such a run in the server.
    if settings.fake && ProgramParts.demo == nil && attachment != nil {
      Console.error("ashby-lua: a scheduled run with its own fake Ashby runs in \(Handover.serverName)")
      return Exit.usage
    }
    let demo = ProgramParts.demo(for: settings)
    // Every write this run sends is recorded first: in the daemon's state for a scheduled run.
    let journal =
      settings.fake || settings.cassette?.mode == .replay
      ? nil
      : attachment.flatMap { $0.input.audit.flatMap(AuditJournal.forScheduledRun) }
        ?? AuditJournal.forCommand(state: stateFlag, origin: "run")
    journal?.script(script)
    let runner: ScriptRunner
    do {
      runner = try await ScriptRunner.start(
        settings, report: attachment?.report, feeds: feeds, event: event, sampleEvent: sampleEvent,
        notifyURLs: attachment?.input.notifyURLs ?? [:], demo: demo, journal: journal)
    } catch {
      Console.error("ashby-lua: \(error)")
      return Exit.usage
    }
    let end = await runner.runMain(script: script, arguments: args, chunks: chunks)
    attachment?.report.send(RunReport(end: end, client: runner.client, syncTokens: feeds.reached))
    if end.code == 0, let store, let state = feed {
      do {
        try store.saveSyncTokens(feeds.reached, state: state)
      } catch {
        Console.error("ashby-lua: cannot keep ashby.changes' place under \(state): \(error)")
      }
    }
    var code = end.code
    if let planFile = planFile ?? settings.planFile {
      code = await savePlan(planFile, of: runner, end: end, script: script, arguments: args, journal: journal)
    }
    if await !runner.finish(), code == 0 { code = Exit.scriptError }
    return code
  }

  /// `optionNames` and `--version` (the root's, shown in `run --help` too), `--`
  /// aside: what may not follow the script (`ScriptArguments`).
  package static let ownOptions = Set(optionNames + ["--version"]).subtracting(["--"])

  /// Every option `run` takes, read from its own help text (one fact, one place).
  package static let optionNames: [String] = {
    let help = RunCommand.helpMessage(columns: 200)
    var names: [String] = []
    for word in help.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\n" }) {
      let token = word.prefix { $0 != "<" && $0 != "=" }
      guard token.count > 1, token.hasPrefix("-"), !names.contains(String(token)),
        token.dropFirst().allSatisfy({ $0.isLetter || $0 == "-" })
      else { continue }
      names.append(String(token))
    }
    return names
  }()
}

extension RunCommand {
  /// `run --plan FILE`: the dry run's writes as a plan, in FILE and by id in the state (not for `--fake`,
  /// whose fake Ashby dies with the process). A script that failed saves none: its plan would be part of
  /// what it meant to do; one that planned no writes saves none either.
  static func savePlan(
    _ file: String, of runner: ScriptRunner, end: ScriptRunner.End, script: String?, arguments: [String],
    journal: AuditJournal?
  ) async -> Int32 {
    guard end.code == 0 else {
      Console.error("ashby-lua: no plan saved: the script did not finish")
      return end.code
    }
    // Nothing to apply: no plan, no file, no request for the key's title, no state opened.
    guard !runner.client.plannedWrites.isEmpty else {
      Console.error("ashby-lua: no plan saved: the script planned no writes")
      return end.code
    }
    let client = runner.client
    // A plan's file is read by people and kept in the state: a write that sends a secret is made by a run.
    if let secret = client.plannedWrites.flatMap(\.steps).lazy.compactMap(\.secretParameter).first {
      Console.error(
        "ashby-lua: no plan saved: \(secret.endpoint) would send a secret (\(secret.name)), which a plan's file would hold; make that write with `ashby-lua run`")
      return Exit.scriptError
    }
    let key = try? await KeyInfo.fetch(client)
    var plan = Plan(
      baseURL: SavedPlans.where(client, fake: runner.options.fake),
      keyTitle: key?.title, apiVersion: client.configuration.apiVersion,
      script: script.map { Plan.Script(path: $0, sha256: AuditJournal.sha256(ofFile: $0), args: arguments) },
      steps: client.plannedWrites.flatMap(\.steps))
    plan.onBehalfOf = client.configuration.onBehalfOf
    do {
      try SavedPlans.save(plan, to: file, keepingIn: journal.map { journal in { try journal.openState() } })
    } catch {
      Console.error("ashby-lua: \(error)")
      return Exit.usage
    }
    Console.error(
      "plan \(plan.id) saved to \(file): review it with `ashby-lua plan show \(file)`, make it with `ashby-lua apply \(file)`")
    return end.code
  }
}

extension PlanStep {
  /// The first parameter whose name says it holds a secret (`webhook.create`'s `secretToken`), as the audit
  /// log judges it.
  var secretParameter: (endpoint: String, name: String)? {
    func find(_ value: JSONValue) -> String? {
      switch value {
      case .object(let fields):
        for (name, field) in fields.sorted(by: { $0.key < $1.key }) {
          if AuditJournal.isSecret(name) && field != .null { return name }
          if let inner = find(field) { return inner }
        }
        return nil
      case .array(let items): return items.lazy.compactMap(find).first
      default: return nil
      }
    }
    return find(params).map { (endpoint, $0) }
  }
}
