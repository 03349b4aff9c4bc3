import AshbyFake
import AshbyKit
import AshbyScripting
import Foundation
import LuaHost

/// How one test ended.
public struct SpecResult: Sendable, Equatable {
  public enum Status: String, Sendable {
    case success, failure, error, pending
  }
  public var file: String
  /// describe names and the `it`'s, joined by spaces (busted's full name).
  public var name: String
  /// Where the `it` is (0: the file itself, for an error outside any test).
  public var line: Int
  public var status: Status
  public var message: String
  public var seconds: Double
}

/// One spec file in a VM of its own, against a fake Ashby of its own that
/// `spec.lua` resets before each `it`.
struct SpecFileRun {
  let path: String
  let filter: String?
  /// Seconds the whole file may run: a test that never ends is an error, not a hung CI job.
  let timeout: Double
  let scripts: ScriptUnderTest

  /// The runner's entry: `ashby.test` over the host, print and io.write to
  /// stderr (stdout carries only the report), then the file.
  static let bootstrap = """
    local path, filter = ...
    local spec, clock = require("ashby.spec"), require("ashby.clock")
    local host = ashby_spec
    ashby_spec = nil
    ashby.test = spec.test_api(host)
    local stderr = io.stderr
    print = function(...)
      local parts = table.pack(...)
      for i = 1, parts.n do parts[i] = tostring(parts[i]) end
      stderr:write(table.concat(parts, "\\t", 1, parts.n), "\\n")
    end
    io.output(stderr)
    io.stdout = stderr
    -- A test that ends the process would end every file's report with it (and exit 0).
    os.exit = function() error("os.exit called in a spec: a test cannot end the run", 2) end
    local hooks = {
      now = host.now,
      begin = function(fixture) clock.thaw(); host.load(fixture) end,
      finish = function() clock.thaw() end,
    }
    return spec.run(path, hooks, filter)
    """

  func run() async -> [SpecResult] {
    let fake: FakeAshby
    do { fake = try await FakeAshby.start() } catch {
      return [SpecResult(file: path, name: path, line: 0, status: .error, message: "cannot start the fake Ashby: \(error)", seconds: 0)]
    }
    let results = await run(against: fake)
    await fake.stop()
    return results
  }

  private func run(against fake: FakeAshby) async -> [SpecResult] {
    var configuration = AshbyConfiguration(baseURL: fake.baseURL, apiKey: AshbyAPIKey(FakeAshby.fullKey))
    configuration.maxInFlight = 8
    // A test's injected 429s fail its call within seconds, not after Ashby-sized patience.
    configuration.rateLimitPatience = .seconds(10)
    configuration.totalTimeout = .seconds(60)
    let session: AshbySession
    do { session = try await AshbySession.start(configuration) } catch {
      return [SpecResult(file: path, name: path, line: 0, status: .error, message: "\(error)", seconds: 0)]
    }
    let host = SpecHost(fake: fake, client: session.client, scripts: scripts)
    let path = self.path, filter = self.filter, timeout = self.timeout
    let outcome: [SpecResult]
    do {
      let values = try await session.vm.perform { ctx in
        host.install(into: ctx)
        return try ctx.run(
          Self.bootstrap, name: "=ashby-lua test", args: [.string(path), filter.map(LuaValue.string) ?? .nil],
          timeout: timeout)
      }
      outcome = Self.results(values.first ?? .nil, file: path)
    } catch {
      outcome = [SpecResult(file: path, name: path, line: 0, status: .error, message: "\(error)", seconds: 0)]
    }
    await session.shutdown()
    return outcome
  }

  /// The runner's records; a record it cannot read is an error, never a test that vanished.
  static func results(_ value: LuaValue, file: String) -> [SpecResult] {
    (value.arrayValue ?? []).map { record in
      let status = text(record["status"]).flatMap(SpecResult.Status.init)
      return SpecResult(
        file: file, name: text(record["name"]) ?? "(a test whose name is not text)", line: Int(record["line"].integerValue ?? 0),
        status: status ?? .error, message: String((text(record["message"]) ?? "").prefix(64 * 1024)),
        seconds: record["time"].doubleValue ?? 0)
    }
  }

  /// A Lua string as text, its bytes repaired when they are not UTF-8 (a Latin-1 spec file).
  static func text(_ value: LuaValue) -> String? {
    switch value {
    case .string(let s): s
    case .bytes(let b): String(decoding: b, as: UTF8.self)
    default: nil
    }
  }
}
