import AshbyKit
import AshbyWebhook
import Logging
import LuaHost

/// A Lua VM with the `ashby` table bound to its own client: the one way the
/// CLI, the tests and the benchmark build a scripting session.
public final class AshbySession: Sendable {
  public let vm: LuaVM
  public let client: AshbyClient

  private init(vm: LuaVM, client: AshbyClient) {
    self.vm = vm
    self.client = client
  }

  /// - Parameters:
  ///   - onRunaway: what to do when the watchdog finds the script past its
  ///     limit where the hook cannot stop it (the CLI reports and ends the
  ///     process); it is given the client, for what was written so far.
  ///   - feeds: where `ashby.changes` starts from (a run with no state has none).
  ///   - event: for a hook's run, the delivery (`ashby.event`).
  ///   - strictResults: result tables raise for a field their object does not
  ///     have (`--loose-results` turns it off).
  public static func start(
    _ configuration: AshbyConfiguration, logger: Logger = Logger(label: "ashby-lua.ashby"),
    vm options: LuaVM.Options = LuaVM.Options(), display: Display = Display(),
    feeds: ChangeFeeds = ChangeFeeds(state: nil), event: WebhookDelivery? = nil, strictResults: Bool = true,
    notifier: Notifier? = nil, onRunaway: (@Sendable (AshbyClient, String) -> Void)? = nil
  ) async throws -> AshbySession {
    let client = AshbyClient(configuration: configuration, logger: logger)
    var options = options
    if let onRunaway { options.onRunaway = { [client] message in onRunaway(client, message) } }
    let vm = try LuaVM(options: options)
    try await vm.perform { ctx in 
      try AshbyLibrary.install(
        into: ctx, client: client, display: display, feeds: feeds, event: event, strictResults: strictResults,
        notifier: notifier)
    }
    return AshbySession(vm: vm, client: client)
  }

  /// Runs a chunk on the VM and returns its results.
  public func run(_ source: String, name: String = "=(session)") async throws -> [LuaValue] {
    try await vm.perform { ctx in try ctx.run(source, name: name) }
  }

  public func shutdown() async { await client.shutdown() }
}
