import ArgumentParser
import AshbyKit
import AshbyProcess
import AshbyScripting
import AshbyWebhook

/// Exit codes, as DESIGN.md §3 fixes them (`ExitStatus`).
package typealias Exit = ExitStatus

extension ScriptRunner {
  /// A client for a command that runs no script (`hook`, `auth`), as `startOrExit` starts a runner.
  package static func clientOrExit(_ options: RunSettings) async throws -> (AshbyClient, (any DemoServer)?) {
    let demo = ProgramParts.demo(for: options)
    do {
      return try await client(for: options, demo: demo)
    } catch {
      Console.error("ashby-lua: \(error)")
      throw ExitCode(Exit.usage)
    }
  }

  /// `start` for a command: `--fake` starts the fake Ashby (in the server;
  /// this program hands itself over to it), and a configuration problem is
  /// reported and turned into exit code 2.
  package static func startOrExit(
    _ options: RunSettings, report: ReportChannel? = nil, feeds: ChangeFeeds = ChangeFeeds(state: nil),
    event: WebhookDelivery? = nil, atPrompt: Bool = false, journal: (any WriteJournal)? = nil
  ) async throws -> ScriptRunner {
    let demo = ProgramParts.demo(for: options)
    do {
      return try await start(
        options, report: report, feeds: feeds, event: event, atPrompt: atPrompt, demo: demo, journal: journal)
    } catch {
      Console.error("ashby-lua: \(error)")
      throw ExitCode(Exit.usage)
    }
  }
}
