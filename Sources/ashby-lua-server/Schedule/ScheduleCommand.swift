import ArgumentParser
import AshbyCLI
import AshbyFake
import AshbyJSON
import AshbyProcess
import AshbyScheduler
import AshbyScripting
import AshbyState
import Foundation
import Synchronization

/// `ashby-lua schedule run|list|history|trigger`: scripts on a timetable.
struct ScheduleCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "schedule",
    abstract: ServerCommand.schedule.abstract,
    discussion: ScheduleFile.keysHelp + " Scripts run from the file's folder. See docs/scheduling.md and docs/hooks.md.",
    subcommands: [
      ScheduleRunCommand.self, ScheduleListCommand.self, ScheduleStatusCommand.self, ScheduleHistoryCommand.self,
      ScheduleLogsCommand.self, ScheduleTriggerCommand.self, ScheduleValidateCommand.self, ScheduleExportCommand.self,
      ScheduleMigrateStateCommand.self,
    ]
  )
}

/// Where the schedule and its history live.
struct ScheduleFiles: ParsableArguments {
  @Option(name: .shortAndLong, help: ArgumentHelp("The schedule.", valueName: "FILE"))
  var file = "schedules.toml"

  @Option(
    help: ArgumentHelp(
      "Where the history, leases and deliveries are: a SQLite file, or postgres://user@host[:port]/db for daemons on several hosts (default: $ASHBY_LUA_STATE, else the file's state key, else $XDG_STATE_HOME/ashby-lua/schedule.sqlite).",
      valueName: "FILE|URL"))
  var state: String?

  @Option(help: ArgumentHelp("The same as --state (its older name).", valueName: "FILE", visibility: .hidden))
  var history: String?

  /// The jobs, or every problem of the file on stderr and exit 2.
  func jobs() throws -> [ScheduledJob] { try Self.load(file).jobs }

  /// The jobs and the hooks, the same way.
  func schedule() throws -> Schedule { try Self.load(file) }

  /// What every run of the schedule's runner needs from the file: the secrets' variables hidden,
  /// the notify targets resolved (exit 2 naming the one that cannot be); with the daemon's fake,
  /// every target is its sink (demo data never goes to a real chat).
  ///   - runsOnFake: each run starts a fake of its own (`schedule trigger --fake`), whose sink takes every target.
  static func prepare(_ runner: ProcessJobRunner, for schedule: Schedule, fake: FakeAshby? = nil, runsOnFake: Bool = false)
    throws
  {
    runner.hidden.set(schedule.secretVariables)
    if runsOnFake { return }
    do {
      if let fake {
        runner.notifyURLs.set(FakeAshby.sinkURLs(schedule.notify.keys, at: fake))
      } else {
        runner.notifyURLs.set(try schedule.notifyURLs())
      }
    } catch {
      Console.error("ashby-lua: \(error)")
      throw ExitCode(Exit.usage)
    }
  }

  static func load(_ file: String) throws -> Schedule {
    do {
      return try read(file)
    } catch {
      Console.error(error.description)
      if !FileManager.default.fileExists(atPath: file) && file == "schedules.toml" {
        Console.error("(give the schedule with --file FILE; without it, ./schedules.toml is read)")
      }
      throw ExitCode(Exit.usage)
    }
  }

  /// The file's schedule; the variables its hooks' secrets are in leave the
  /// environment at once (`ProcessSecrets`): no run, and no process of the same
  /// user reading `/proc/<pid>/environ`, finds them there.
  static func read(_ file: String) throws(ScheduleFile.Problems) -> Schedule {
    let schedule = try ScheduleFile.loadSchedule(file, runOptions: RunCommand.ownOptions)
    ProcessSecrets.take(schedule.secretVariables)
    return schedule
  }

  /// Where the state is (`StateLocation`); `schedule` is the file read already, if it was.
  func stateLocation(_ schedule: Schedule? = nil) throws -> (spec: String, passwordCommand: String?) {
    var fileSettings = schedule
    if fileSettings == nil && FileManager.default.fileExists(atPath: file) { fileSettings = try Self.load(file) }
    return (StateLocation.choose(flag: state ?? history, file: fileSettings?.state), fileSettings?.statePasswordCommand)
  }

  func openHistory(_ schedule: Schedule? = nil) throws -> StateStore {
    let (spec, command) = try stateLocation(schedule)
    return try StateLocation.open(spec, passwordCommand: command)
  }
}

extension SessionOptions {
  /// What a scheduled run inherits from `schedule run` / `schedule trigger`'s
  /// options; `--dry-run`, `--sandbox` and `--timeout` apply over each job's own.
  var childSettings: RunSettings {
    var settings = self.settings
    (settings.dryRun, settings.sandbox, settings.timeout, settings.rateLimit) = (false, false, nil, nil)
    return settings
  }

  /// - Parameter sharedFake: the daemon's own fake Ashby, which the runs use
  ///   instead of one each (`schedule run --fake`).
  ///   - niceness: how much lower the runs' CPU priority is (the daemon's runs: 10).
  ///   - auditState: the daemon's state, where its runs record their writes.
  func jobRunner(
    echo: ProcessJobRunner.Echo, sharedFake: FakeAshby? = nil, niceness: Int32 = 0,
    auditState: (spec: String, passwordCommand: String?)? = nil
  ) -> ProcessJobRunner {
    var base = childSettings
    var apiKey = ProcessSecrets.apiKey
    if let sharedFake {
      (base.fake, base.baseURL) = (false, sharedFake.baseURL.absoluteString)
      apiKey = FakeAshby.fullKey
    }
    // Each run is `ashby-lua`, which starts fast; one with its own fake Ashby needs this program.
    return ProcessJobRunner(
      // A run that writes its audit rows to PostgreSQL needs this program too (ashby-lua links no PostgreSQL).
      executable: Handover.beside(
        base.fake || auditState.map({ StateLocation.isPostgres($0.spec) }) == true ? Handover.serverName : "ashby-lua"), base: base, forceDryRun: dryRun, forceSandbox: sandbox, timeoutCap: timeout,
      environment: ProcessSecrets.environmentForChild(), apiKey: apiKey, echo: echo, niceness: niceness,
      auditState: auditState)
  }

}

extension StateLocation {
  /// The store; exit 2 saying why when it cannot be opened.
  static func open(_ spec: String, passwordCommand: String?) throws -> StateStore {
    do {
      return try store(spec, passwordCommand: passwordCommand, postgres: postgres)
    } catch {
      Console.error("ashby-lua: cannot open the state \(printable(spec)): \(error)")
      throw ExitCode(Exit.usage)
    }
  }
}

/// One line per event on stderr, stamped, for a terminal or the journal;
/// with `--log-format json`, one JSON object per line for a log collector.
enum DaemonLog {
  enum Format: String, ExpressibleByArgument, CaseIterable {
    case text, json
  }

  private static let json = Atomic(false)

  static func use(_ format: Format) { json.store(format == .json, ordering: .relaxed) }

  static func line(_ text: String) {
    let stamp = ISO8601DateFormatter().string(from: Date())
    guard json.load(ordering: .relaxed) else { return Console.error("\(stamp) \(text)") }
    let fields: [String: JSONValue] = ["time": .string(stamp), "level": .string("info"), "message": .string(text)]
    Console.error(String(decoding: JSONValue.object(fields).encoded(), as: UTF8.self))
  }
}
