import ArgumentParser
import AshbyJSON
import AshbyKit
import AshbyPaths
import AshbyPlans
import AshbyProcess
import AshbyScripting
import AshbyState
import Foundation

/// `ashby-lua plan show FILE_OR_ID`: a saved plan, for a person (docs/plans.md).
package struct PlanCommand: AsyncParsableCommand {
  package init() {}
  package static let configuration = CommandConfiguration(
    commandName: "plan",
    abstract: "Show a plan that `run --plan` or `undo` saved.",
    subcommands: [Show.self])

  package struct Show: AsyncParsableCommand {
    package init() {}
    package static let configuration = CommandConfiguration(
      commandName: "show",
      abstract: "Print a plan: a line per write (what, on which object, before → after), then the count per action.")

    @OptionGroup var source: PlanSource
    @Flag(help: "Print the plan's JSON (the format of docs/plans.md).") var json = false

    package func run() async throws {
      let loaded = try SavedPlans.load(source.plan, spec: source.spec)
      if json {
        FileHandle.standardOutput.write(loaded.plan.fileData)
      } else {
        print(PlanText.describe(loaded.plan))
        if let applied = loaded.stored?.appliedAt {
          print("applied at \(Timestamps.format(applied))\(loaded.stored?.appliedRun.map { " (run \($0))" } ?? "")")
        }
      }
    }
  }
}

/// `ashby-lua apply FILE_OR_ID`: makes exactly a plan's writes, once (docs/plans.md).
package struct ApplyCommand: AsyncParsableCommand {
  package init() {}
  package static let configuration = CommandConfiguration(
    commandName: "apply",
    abstract: "Make exactly the writes of a saved plan, in order, once, without running its script again.",
    discussion:
      "Each target is read first: a write whose object changed since the plan (or is gone) is skipped and said why. An apply cut short resumes where it stopped when run again; a plan applied to the end is refused the second time. Every write is in the audit log with the plan's id."
  )

  @OptionGroup var source: PlanSource
  @OptionGroup var session: SessionOptions
  @Option(
    help: ArgumentHelp(
      "When a target changed since the plan: skip that write and go on (the default), or stop there.",
      valueName: "skip|stop"))
  var onDrift = PlanApplier.DriftPolicy.skip.rawValue

  /// Who asked, as the audit log names it: `apply` from a person, `mcp` from the MCP server's `apply_plan`.
  @Option(help: .hidden) var origin = "apply"

  package func validate() throws {
    guard ["apply", "mcp"].contains(origin) else { throw ValidationError("--origin must be apply or mcp.") }
    if PlanApplier.DriftPolicy(rawValue: onDrift) == nil {
      throw ValidationError("--on-drift must be skip or stop, got \"\(onDrift.prefix(40))\".")
    }
    if session.dryRun { throw ValidationError("apply makes the plan's writes; to look at them, use `ashby-lua plan show`.") }
  }

  package func run() async throws {
    let spec = source.spec
    let loaded = try SavedPlans.load(source.plan, spec: spec, keep: !session.fake)
    let plan = loaded.plan
    try Self.refuseIfApplied(loaded.stored)
    // A --fake apply starts a fresh fake: it keeps no log, and cannot resume.
    let runID = AuditJournal.newRunID()
    let claim = session.fake ? nil : try PlanClaim.take(plan.id, run: runID, store: SavedPlans.store(spec))
    defer { claim?.release() }
    // An apply that finished while this one waited for the claim: once is once.
    if claim != nil { try Self.refuseIfApplied(try SavedPlans.store(spec).plan(plan.id)) }
    let journal =
      session.fake ? nil : AuditJournal(origin: .init(runID: runID, origin: origin)) { try SavedPlans.open(spec) }
    journal?.script(plan.script?.path)
    var settings = session.settings
    if settings.onBehalfOf == nil { settings.onBehalfOf = plan.onBehalfOf }  // as it was reviewed
    let (client, demo) = try await SavedPlans.client(settings, journal: journal)
    let here = SavedPlans.where(client, fake: session.fake)
    guard plan.baseURL == here || session.baseURL != nil else {
      await SavedPlans.close(client, demo)
      Console.error(
        "ashby-lua: plan \(plan.id) was made against \(plan.baseURL), and this apply would write to \(here); give --base-url \(here) to apply it there")
      throw ExitCode(ExitStatus.scriptError)
    }
    let earlier = session.fake ? [] : try SavedPlans.store(spec).audit(AuditFilter(planID: plan.id, limit: 1_000_000))
    let applier = PlanApplier(
      plan: plan, client: client, onDrift: PlanApplier.DriftPolicy(rawValue: onDrift) ?? .skip, earlier: earlier)
    let results = await applier.apply { result in print(Self.line(result)) }
    await SavedPlans.close(client, demo)
    let finished = results.count == plan.steps.count && !results.contains { $0.status.isStop }
    print(Self.summary(results, of: plan, runID: journal == nil ? nil : runID, finished: finished))
    if finished && !session.fake { try SavedPlans.store(spec).markApplied(plan.id, run: runID) }
    if !finished { throw ExitCode(ExitStatus.scriptError) }
  }

  static func refuseIfApplied(_ stored: StoredPlan?) throws {
    guard let stored, let applied = stored.appliedAt else { return }
    Console.error(
      "ashby-lua: plan \(stored.id) was already applied at \(Timestamps.format(applied))\(stored.appliedRun.map { " (run \($0))" } ?? ""); a plan is applied once")
    throw ExitCode(ExitStatus.scriptError)
  }

  static func line(_ result: PlanApplier.StepResult) -> String {
    let what = "\(result.number). \(result.step.endpoint)\(result.step.target.map { " on \($0.type) \($0.id)" } ?? "")"
    switch result.status {
    case .applied: return "applied   \(what)"
    case .alreadyDone: return "done      \(what) (by an earlier apply)"
    case .skipped(let why): return "skipped   \(what): \(why)"
    case .stopped(let why): return "stopped   \(what): \(why)"
    }
  }

  static func summary(_ results: [PlanApplier.StepResult], of plan: Plan, runID: String?, finished: Bool) -> String {
    var counts = (applied: 0, done: 0, skipped: 0)
    for result in results {
      switch result.status {
      case .applied: counts.applied += 1
      case .alreadyDone: counts.done += 1
      case .skipped: counts.skipped += 1
      case .stopped: break
      }
    }
    var text =
      "plan \(plan.id): \(counts.applied) applied, \(counts.done) done earlier, \(counts.skipped) skipped of \(plan.steps.count)"
    if let runID { text += " (audit: ashby-lua audit --run \(runID))" }
    if !finished { text += "; stopped: run `ashby-lua apply` again to resume" }
    return text
  }
}

/// `ashby-lua undo RUN_ID --plan FILE`: a plan that puts back what a run changed (docs/plans.md).
package struct UndoCommand: AsyncParsableCommand {
  package init() {}
  package static let configuration = CommandConfiguration(
    commandName: "undo",
    abstract: "Write a plan that reverses what a run changed in Ashby (review it, then apply it).",
    discussion:
      "RUN_ID is a run's id in the audit log (ashby-lua audit), or a plan's id (what its apply changed). Writes Ashby's API cannot reverse (a candidate created, a note, an email) are listed in the plan and printed."
  )

  @Argument(help: ArgumentHelp("The run whose writes to reverse, or a plan (its id or file) whose applies to reverse.", valueName: "RUN_ID"))
  var run: String
  @Option(help: ArgumentHelp("Where to save the undo plan.", valueName: "FILE")) var plan: String
  @OptionGroup var session: SessionOptions
  @Option(help: ArgumentHelp(AuditJournal.stateHelp, valueName: "STATE")) var state: String?

  package func run() async throws {
    let spec = SavedPlans.spec(state)
    let store = try SavedPlans.store(spec)
    // A plan's file stands for its id: what its applies changed.
    let run = FileManager.default.fileExists(atPath: self.run) ? try SavedPlans.load(self.run, spec: spec).plan.id : self.run
    let rows = try store.audit(AuditFilter(runID: run, limit: 1_000_000))
      + store.audit(AuditFilter(planID: run, limit: 1_000_000)).filter { $0.runID != run }
    guard !rows.isEmpty else {
      Console.error("ashby-lua: the audit log at \(spec) has no writes of run or plan \(run) (ashby-lua audit lists runs)")
      throw ExitCode(ExitStatus.scriptError)
    }
    let (client, demo) = try await SavedPlans.client(session.settings, journal: nil)
    let key = try? await KeyInfo.fetch(client)
    let undo = UndoPlanner.plan(
      undoing: run, rows: rows, baseURL: SavedPlans.where(client, fake: session.fake), keyTitle: key?.title,
      apiVersion: client.configuration.apiVersion)
    await SavedPlans.close(client, demo)
    try SavedPlans.save(undo, to: plan, keepingIn: session.fake ? nil : { try SavedPlans.open(spec) })
    print(PlanText.describe(undo))
    print("saved to \(plan): review it with `ashby-lua plan show \(plan)`, make it with `ashby-lua apply \(plan)`")
  }
}

/// Which plan a command reads: its file or its id, and the state that keeps it.
package struct PlanSource: ParsableArguments {
  package init() {}
  @Argument(help: ArgumentHelp("The plan's file, or its id (plan-…) in the state.", valueName: "FILE_OR_ID"))
  var plan: String
  @Option(help: ArgumentHelp(AuditJournal.stateHelp, valueName: "STATE")) var state: String?

  var spec: String { SavedPlans.spec(state) }
}

/// Plans in files and in the state, for `run --plan`, `plan show`, `apply` and `undo`.
package enum SavedPlans {
  /// The state `--state` names (else `ASHBY_LUA_STATE`, else the default file); a PostgreSQL one in a program
  /// that lacks it hands over now, before anything runs.
  static func spec(_ flag: String?) -> String {
    let spec = StateLocation.choose(flag: flag, file: nil)
    Handover.ifPostgres(spec)
    return spec
  }

  package struct Loaded {
    package var plan: Plan
    package var stored: StoredPlan?
  }

  /// `FILE_OR_ID`: a file when one is there, else an id in the state. A plan read from a file is kept in the
  /// state (`keep`), so that applying it is remembered.
  package static func load(_ given: String, spec: String, keep: Bool = false) throws -> Loaded {
    if !FileManager.default.fileExists(atPath: given), Plan.isID(given) {
      guard let stored = try store(spec).plan(given) else {
        throw ValidationError("no plan \(given) in the state at \(spec)")
      }
      return Loaded(plan: try parse(Data(stored.body.utf8), from: given), stored: stored)
    }
    guard let data = FileManager.default.contents(atPath: given) else {
      throw ValidationError("cannot read the plan \(given): no such file, and not a plan id (plan-…)")
    }
    let plan = try parse(data, from: given)
    guard keep else { return Loaded(plan: plan, stored: (try? store(spec).plan(plan.id)) ?? nil) }
    let store = try store(spec)
    let body = String(decoding: data, as: UTF8.self)
    try store.savePlan(StoredPlan(id: plan.id, createdAt: plan.createdAt, body: body))
    let stored = try store.plan(plan.id)
    // A plan is applied as it was saved (and reviewed): a file edited since is not that plan.
    if let stored, stored.body != body, (try? Plan(data: Data(stored.body.utf8))) != plan {
      throw ValidationError(
        "\(given) is not plan \(plan.id) as it was saved: its writes were changed since; make a new plan with `run --plan`")
    }
    return Loaded(plan: plan, stored: stored)
  }

  static func parse(_ data: Data, from name: String) throws -> Plan {
    do {
      return try Plan(data: data)
    } catch {
      throw ValidationError("\(name) is not a plan ashby-lua can apply: \(error)")
    }
  }

  /// Writes the plan's file (readable by its owner only: it holds candidates' details) and keeps it in the
  /// state `open` opens (a run's is its audit log's, a scheduled run's the daemon's; `--fake` has none).
  package static func save(_ plan: Plan, to path: String, keepingIn open: (() throws -> StateStore)?) throws {
    let data = plan.fileData
    do {
      try PrivateFile.folder(URL(fileURLWithPath: path).deletingLastPathComponent().path)
      try PrivateFile.write(data, to: path)
    } catch {
      throw ValidationError("cannot write the plan to \(path): \(error)")
    }
    guard let open else { return }
    do {
      try open().savePlan(
        StoredPlan(id: plan.id, createdAt: plan.createdAt, body: String(decoding: data, as: UTF8.self)))
    } catch {
      throw ValidationError("the plan is in \(path), but the state could not keep it: \(error)")
    }
  }

  package static func open(_ spec: String) throws -> StateStore {
    try StateLocation.store(spec, passwordCommand: nil, postgres: ProgramParts.postgres)
  }

  static func store(_ spec: String) throws -> StateStore {
    do {
      return try open(spec)
    } catch {
      throw ValidationError("\(StateLocation.Unopened(spec: spec, error: error))")
    }
  }

  /// A client as `run`'s flags make one, recording its writes in `journal`.
  static func client(_ settings: RunSettings, journal: AuditJournal?) async throws -> (AshbyClient, (any DemoServer)?) {
    do {
      return try await ScriptRunner.client(for: settings, demo: ProgramParts.demo(for: settings), journal: journal)
    } catch {
      throw ValidationError("\(error)")
    }
  }

  static func close(_ client: AshbyClient, _ demo: (any DemoServer)?) async {
    await client.shutdown()
    await demo?.stop()
  }

  /// Where a client writes, as a plan records it: a fake Ashby of `--fake` (a new one each process) is "fake".
  package static func `where`(_ client: AshbyClient, fake: Bool) -> String {
    fake ? "fake" : client.configuration.baseURL.absoluteString
  }
}

/// An `apply`'s hold on its plan in the state: taken before the first write, renewed while it runs, given
/// up at the end. A second `apply` of the same plan meanwhile is refused, not run beside it.
final class PlanClaim {
  let id: String
  let run: String
  let store: StateStore
  let timer: DispatchSourceTimer

  /// How long a claim holds without renewal; it is renewed three times as often.
  static let holds: TimeInterval = 30

  private init(id: String, run: String, store: StateStore, timer: DispatchSourceTimer) {
    (self.id, self.run, self.store, self.timer) = (id, run, store, timer)
  }

  static func take(_ id: String, run: String, store: StateStore) throws -> PlanClaim {
    if let holder = try store.claimPlan(
      id, run: run, owner: owner, until: Date().addingTimeInterval(holds), stale: isGone)
    {
      throw ValidationError(
        "plan \(id) is being applied by run \(holder.run) (\(holder.owner)); run `ashby-lua apply` again once it has ended")
    }
    // Renewed off Swift's cooperative threads: the state's engines block.
    let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "ashby-lua.plan-claim"))
    timer.schedule(deadline: .now() + holds / 3, repeating: holds / 3)
    timer.setEventHandler {
      _ = try? store.claimPlan(id, run: run, owner: owner, until: Date().addingTimeInterval(holds), stale: isGone)
    }
    timer.resume()
    return PlanClaim(id: id, run: run, store: store, timer: timer)
  }

  func release() {
    timer.cancel()
    try? store.releasePlan(id, run: run)
  }

  /// This process, as a claim names it.
  static let owner = "\(ProcessInfo.processInfo.hostName):\(getpid())"

  /// Whether the process `owner` names is gone: only a process of this host can be asked.
  @Sendable static func isGone(_ owner: String) -> Bool {
    guard let colon = owner.lastIndex(of: ":"), owner[..<colon] == ProcessInfo.processInfo.hostName,
      let pid = Int32(owner[owner.index(after: colon)...]), pid > 0
    else { return false }
    return kill(pid, 0) == -1 && errno == ESRCH
  }
}
