import ArgumentParser
import AshbyCLI
import AshbyScheduler
import AshbyScripting
import AshbyState
import Foundation

/// `schedule migrate-state --to URL`: the history, fires, claims, deliveries
/// and change-feed tokens of one state, copied into another (SQLite to
/// PostgreSQL when a second host joins).
struct ScheduleMigrateStateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "migrate-state",
    abstract: "Copy the schedule's state (history, fires, deliveries, sync tokens) into another, empty state.",
    discussion: """
      The source is where `schedule run` would look (--state, $ASHBY_LUA_STATE, the file's state key, the default \
      SQLite file); stop every daemon first. The copy is one transaction on the target: all of it or nothing. \
      Then point the daemons at the target (state = "…" in the file, or --state). See docs/scaling.md.
      """)

  @OptionGroup var files: ScheduleFiles

  @Option(
    help: ArgumentHelp(
      "The empty state to fill: postgres://user@host[:port]/db, or a SQLite file.", valueName: "URL|FILE"))
  var to: String

  func run() throws {
    let source = try files.openHistory()
    let (_, command) = try files.stateLocation()
    let target = try StateLocation.open(to, passwordCommand: command)
    guard source.location != target.location else {
      Console.error("ashby-lua: the source and the target are the same state (\(source.location))")
      throw ExitCode(Exit.usage)
    }
    do {
      let copied = try source.copy(to: target)
      print(
        "copied \(copied.runs) run\(copied.runs == 1 ? "" : "s"), \(copied.fires) job fire mark\(copied.fires == 1 ? "" : "s"), \(copied.claims) fire claim\(copied.claims == 1 ? "" : "s"), \(copied.deliveries) deliver\(copied.deliveries == 1 ? "y" : "ies"), \(copied.syncTokens) sync token\(copied.syncTokens == 1 ? "" : "s"), \(copied.audit) audit row\(copied.audit == 1 ? "" : "s") and \(copied.plans) plan\(copied.plans == 1 ? "" : "s") from \(source.location) to \(target.location)"
      )
      print("next: give the daemons the new state (state = \"\(target.location)\" in the schedule file, or --state)")
    } catch let refused as StateStore.CopyRefused {
      Console.error("ashby-lua: not copied: \(refused.description)")
      throw ExitCode(Exit.usage)
    }
  }
}
