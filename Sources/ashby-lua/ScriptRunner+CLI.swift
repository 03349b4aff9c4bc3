import ArgumentParser
import AshbyFake
import AshbyProcess
import AshbyScripting
import AshbyWebhook

/// Exit codes, as DESIGN.md §3 fixes them (`ExitStatus`).
typealias Exit = ExitStatus

extension ScriptRunner {
  /// `start` for a command: `--fake` starts the fake Ashby in this process,
  /// and a configuration problem is reported and turned into exit code 2.
  static func startOrExit(
    _ options: RunSettings, report: ReportChannel? = nil, feeds: ChangeFeeds = ChangeFeeds(state: nil),
    event: WebhookDelivery? = nil
  ) async throws -> ScriptRunner {
    do {
      return try await start(options, report: report, feeds: feeds, event: event) { try await FakeAshby.start() }
    } catch {
      Console.error("ashby-lua: \(error)")
      throw ExitCode(Exit.usage)
    }
  }
}

extension FakeAshby: DemoServer {
  public var key: String { Self.fullKey }
}
