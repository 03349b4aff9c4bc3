import ArgumentParser
import AshbyCatalog
import AshbyCLI
import AshbyFake
import AshbyJSON
import AshbyKit
import AshbyScheduler
import AshbyScripting
import AshbySignature
import AshbyWebhook
import AsyncHTTPClient
import Foundation
import NIOCore


/// `ashby-lua hook register|list|unregister|test`: the webhooks in Ashby that feed the daemon's hooks.
struct HookCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "hook",
    abstract: ServerCommand.hook.abstract,
    discussion: "See docs/hooks.md.",
    subcommands: [HookRegisterCommand.self, HookListCommand.self, HookUnregisterCommand.self, HookTestCommand.self]
  )

  /// The hook of the schedule file named `name`, or exit 2 saying which exist.
  static func hook(_ name: String, in file: String) throws -> Hook {
    let schedule = try ScheduleFiles.load(file)
    guard let hook = schedule.hooks.first(where: { $0.name == name }) else {
      let names = schedule.hooks.map(\.name)
      Console.error(
        "ashby-lua: \(file) has no hook \"\(name)\"\(names.isEmpty ? " (it has no [[hook]] tables)" : "; its hooks: \(names.joined(separator: ", "))")"
      )
      throw ExitCode(Exit.usage)
    }
    return hook
  }
}

struct HookRegisterCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "register",
    abstract: "Create the hook's webhooks in Ashby (one per event type) with a new secret, stored owner-only.")

  @Argument(help: "The hook's name in schedules.toml.") var name: String
  @Option(help: ArgumentHelp("Where Ashby delivers: the daemon's public URL for this hook.", valueName: "URL"))
  var url: String
  @Option(name: .shortAndLong, help: ArgumentHelp("The schedule.", valueName: "FILE")) var file = "schedules.toml"
  @OptionGroup var session: SessionOptions

  func validate() throws {
    guard let parsed = URL(string: url), parsed.host != nil, ["http", "https"].contains(parsed.scheme ?? "") else {
      throw ValidationError("--url must be an http(s) URL like https://hooks.example.com/hooks/\(name).")
    }
  }

  func run() async throws {
    let hook = try HookCommand.hook(name, in: file)
    if try HookRegistration.load(name) != nil {
      Console.error("ashby-lua: \(name) is registered already (see `ashby-lua hook list`); `hook unregister \(name)` first")
      throw ExitCode(Exit.usage)
    }
    let types = WebhookRegistrar.types(for: hook.events)
    let secret = WebhookSignature.newSecret()
    let (client, demo) = try await ScriptRunner.clientOrExit(session.settings)
    let made: HookRegistration?
    do {
      made = try await WebhookRegistrar(client: client).register(name, url: url, types: types, secret: secret)
    } catch {
      Console.error("ashby-lua: cannot register \(name): \(error)")
      made = nil
    }
    await client.shutdown()
    await demo?.stop()
    guard let made else { throw ExitCode(Exit.scriptError) }
    let count = made.webhooks.count
    print("registered \(name): \(count) webhook\(count == 1 ? "" : "s") (\(types.joined(separator: ", "))) delivering to \(url)")
    print("secret \(HookRegistration.hint(secret)) stored in \(HookRegistration.secretPath(name)) (mode 0600)")
    if case .command(let command) = hook.secret, command.contains(HookRegistration.secretPath(name)) {
      print("\(file) reads it already")
    } else {
      print("in \(file), give the hook: secret_command = \"cat \(HookRegistration.secretPath(name))\"")
    }
  }
}

struct HookListCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list", abstract: "The registered hooks and their webhooks, as Ashby has them.")

  @OptionGroup var session: SessionOptions

  func run() async throws {
    let registrations = try HookRegistration.all()
    guard !registrations.isEmpty else {
      print("no hooks registered (ashby-lua hook register NAME --url URL)")
      return
    }
    let (client, demo) = try await ScriptRunner.clientOrExit(session.settings)
    let registrar = WebhookRegistrar(client: client)
    var rows = [["HOOK", "EVENT", "WEBHOOK", "ENABLED", "URL"]]
    for r in registrations {
      for webhook in r.webhooks { rows.append([r.name, webhook.type, webhook.id, await registrar.state(of: webhook.id), r.url]) }
    }
    await client.shutdown()
    await demo?.stop()
    print(Timetable.table(rows))
  }
}

struct HookUnregisterCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "unregister", abstract: "Delete the hook's webhooks in Ashby and forget its secret.")

  @Argument(help: "The hook's name.") var name: String
  @OptionGroup var session: SessionOptions

  func run() async throws {
    guard let registration = try HookRegistration.load(name) else {
      Console.error("ashby-lua: \(name) is not registered (see `ashby-lua hook list`)")
      throw ExitCode(Exit.usage)
    }
    let (client, demo) = try await ScriptRunner.clientOrExit(session.settings)
    let failed = await WebhookRegistrar(client: client).unregister(registration)
    await client.shutdown()
    await demo?.stop()
    guard failed.isEmpty else {
      Console.error("ashby-lua: could not delete:\n  " + failed.joined(separator: "\n  ") + "\n\(name) stays registered; try again")
      throw ExitCode(Exit.scriptError)
    }
    let count = registration.webhooks.count
    print("unregistered \(name): \(count) webhook\(count == 1 ? "" : "s") deleted")
  }
}

struct HookTestCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "test",
    abstract:
      "Send a signed ping to the local daemon's hook, as Ashby tests an endpoint; with --event TYPE, a sample event, so the hook's script runs.")

  @Argument(help: "The hook's name in schedules.toml.") var name: String
  @Option(name: .shortAndLong, help: ArgumentHelp("The schedule.", valueName: "FILE")) var file = "schedules.toml"
  @Option(
    help: ArgumentHelp("The daemon's URL for the hook (default: http://127.0.0.1:8787/hooks/NAME).", valueName: "URL"))
  var url: String?
  @Option(
    help: ArgumentHelp(
      "Deliver a sample event of this webhook type instead of a ping, made from the fake Ashby's data (the ids a daemon with --fake has).",
      valueName: "TYPE"))
  var event: String?

  func validate() throws {
    if let event, !FakeAshby.sampleTypes.contains(event) {
      let hint = Suggestion.closest(event, FakeAshby.sampleTypes).map { " (did you mean \($0)?)" } ?? ""
      throw ValidationError("--event \(event) is not a webhook type Ashby sends\(hint)")
    }
  }

  func run() async throws {
    let hook = try HookCommand.hook(name, in: file)
    let secret: String?
    do {
      secret = try hook.resolveSecret()
    } catch {
      Console.error("ashby-lua: \(error)")
      throw ExitCode(Exit.usage)
    }
    let target = url ?? "http://127.0.0.1:8787/hooks/\(name)"
    guard let endpoint = URL(string: target), endpoint.host != nil else {
      Console.error("ashby-lua: --url must be a URL like http://127.0.0.1:8787/hooks/\(name)")
      throw ExitCode(Exit.usage)
    }
    // One encoding, signed and sent: the signature covers these bytes, not the event's meaning.
    let body =
      event.flatMap { FakeAshby.sampleEvent($0) }
      ?? WebhookDelivery.body(
        webhookActionId: "test-\(UUID().uuidString.lowercased())", action: WebhookDelivery.ping, data: .object([:]))
    let signed = SignedDelivery(body: body, secret: secret)
    var request = HTTPClientRequest(url: endpoint.absoluteString)
    request.method = .POST
    request.body = .bytes(ByteBuffer(bytes: signed.body))
    for field in signed.headers { request.headers.add(name: field.name, value: field.value) }
    let http = HTTPClient(
      eventLoopGroupProvider: .singleton, configuration: HTTPClient.Configuration(timeout: .init(connect: .seconds(3))))
    defer { Task { try? await http.shutdown() } }
    do {
      let response = try await http.execute(request, timeout: .seconds(10))
      let body = try await response.body.collect(upTo: 1 << 16)
      let status = Int(response.status.code)
      print("\(target): \(status) \(String(buffer: body).prefix(500))")
      if !(200..<300).contains(status) { throw ExitCode(Exit.scriptError) }
    } catch let error as ExitCode {
      throw error
    } catch {
      Console.error("ashby-lua: cannot reach \(target): \(error) (is `ashby-lua schedule run --listen` running?)")
      throw ExitCode(Exit.scriptError)
    }
  }
}
