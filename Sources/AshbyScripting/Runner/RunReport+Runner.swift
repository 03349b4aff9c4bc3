import AshbyKit
import AshbyProcess
import LuaHost

extension RunReport {
  /// How a script run ended, for the scheduler.
  public init(end: ScriptRunner.End, client: AshbyClient, syncTokens: [String: String] = [:]) {
    // A table raised without a `__tostring` still says something: its `message`.
    var message = end.message
    if case .object(let fields) = end.error?.value, let text = fields["message"]?.stringValue,
      message?.hasPrefix("table: ") ?? true
    {
      message = [fields["kind"]?.stringValue, text].compactMap { $0 }.joined(separator: ": ")
    }
    self.init(
      exitCode: end.code, kind: end.error?.kind?.rawValue,
      limit: end.error?.kind == .limit ? end.error?.limitField : nil, error: message, writes: client.writesMade,
      planned: client.plannedWrites.endpointCalls, syncTokens: syncTokens.isEmpty ? nil : syncTokens)
    counting(client)
  }

  /// The requests the run made and the pacer's waits, for the daemon's metrics.
  public mutating func counting(_ client: AshbyClient) {
    requests = client.tally.requests
    pacerWaits = client.tally.pacerWaits
  }
}

extension ScriptError {
  /// The `limit` field of a limit's error table (`time`, `memory`).
  var limitField: RunLimit? {
    guard case .object(let fields) = value, let name = fields["limit"]?.stringValue else { return nil }
    return RunLimit(rawValue: name)
  }
}
