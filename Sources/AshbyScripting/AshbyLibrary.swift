import AshbyJSON
import AshbyCatalog
import AshbyKit
import AshbyStdlib
import AshbyWebhook
import CLua
import Foundation
import LuaHost
import Synchronization

/// Installs the `ashby` table into a Lua VM, bound to one `AshbyClient`.
///
/// Every network call is an async host call: the calling coroutine waits, the
/// VM does not. Arguments are checked on the VM thread before anything is
/// sent, so a typo raises at the script's line without a request.
public enum AshbyLibrary {
  public static func install(
    into ctx: LuaContext, client: AshbyClient, display: Display = Display(),
    feeds: ChangeFeeds = ChangeFeeds(state: nil), event: WebhookDelivery? = nil, strictResults: Bool = true,
    notifier: Notifier? = nil
  ) throws {
    ctx.installTaskLibrary(at: "ashby")
    ctx.installJSON(at: "ashby.json")
    ctx.setGlobal("ashby.null", .null)
    ctx.setErrorDescriber(ErrorText.describe)
    for spec in Actions.all { registerAction(spec, ctx: ctx, client: client) }
    registerCall(ctx: ctx, client: client)
    registerNotify(ctx: ctx, notifier: notifier)
    registerPrivate(ctx: ctx, client: client, feeds: feeds)
    if let event { ctx.setGlobal("ashby_private.event", event.luaValue) }
    registerDisplay(ctx: ctx, client: client, display: display)
    ResultShapes.register(ctx: ctx, strict: strictResults)
    try installModules(ctx)
    try runPrelude(ctx)
  }

  /// `ashby.notify(target, message)`: posts through the host to a configured target.
  static func registerNotify(ctx: LuaContext, notifier: Notifier?) {
    ctx.registerAsync(
      "ashby.notify",
      prepare: { stack -> (String, JSONValue) in
        guard let target = stack.string(at: 1), !target.isEmpty else {
          throw AshbyError.argument("target", "argument 1 must be the name of a [notify.NAME] target", action: "notify")
        }
        return (target, try Notifier.body(try stack.value(at: 2)))
      }
    ) { target, body in
      guard let notifier else {
        throw AshbyError.argument("target", "no notify targets here", action: "notify")
      }
      return try await notifier.post(target: target, body: body)
    }
  }

  /// `ashby.<action>{...}` (and `ashby.get_job("id")`).
  static func registerAction(_ spec: ActionSpec, ctx: LuaContext, client: AshbyClient) {
    ctx.registerAsync(
      "ashby.\(spec.name)",
      prepare: { stack -> ActionParams in
        if let positional = spec.positional, stack.count >= 1, case .string(let s) = try stack.value(at: 1) {
          return try ActionParams(spec, [positional: .string(s)])
        }
        guard stack.count <= 1 else {
          throw AshbyError.argument("params", "takes one table of parameters", action: spec.name)
        }
        return try ActionParams(spec, try JSONBridge.parameters(try stack.value(at: 1), action: spec.name))
      }
    ) { params in
      [JSONBridge.lua(try await client.performRaw(params))]
    }
  }

  /// `ashby.call(endpoint, params [, {unchecked = true}])`.
  static func registerCall(ctx: LuaContext, client: AshbyClient) {
    ctx.registerAsync(
      "ashby.call",
      prepare: { stack -> (String, JSONValue, String?) in
        let (endpoint, params) = try checkedCall(stack, action: "call")
        return (endpoint, .object(params), try callOptions(stack, action: "call").onBehalfOf)
      }
    ) { input in
      let response: AshbyResponse
      do {
        response = try await client.send(input.0, input.1, onBehalfOf: input.2)
      } catch let error as AshbyError {
        throw error.within(action: "call")
      }
      if response.moreDataAvailable, input.1["cursor"] == nil {
        client.warnOnce(
          "first page: \(input.0)",
          "\(input.0) returned its first \(response.results.array?.count ?? 0) results; ashby.pages(\"\(input.0)\") iterates all")
      }
      return [JSONBridge.lua(response.rawResults), pageMeta(response)]
    }
  }

  /// `ashby.call`'s second value: where the page stands, so a script that pages
  /// by hand can go on, and one that did not mean to can see it got a part.
  static func pageMeta(_ response: AshbyResponse) -> LuaValue {
    var meta: [String: LuaValue] = ["more": .boolean(response.moreDataAvailable)]
    if let cursor = response.nextCursor { meta["next_cursor"] = .string(cursor) }
    if let token = response.syncToken { meta["sync_token"] = .string(token) }
    return .object(meta)
  }

  /// The endpoint and params of `ashby.call` / `ashby.pages`, checked against
  /// the endpoint catalog (unless `{unchecked = true}`) and spelled as Ashby
  /// spells them. Runs on the VM thread: a refused call sends nothing.
  static func checkedCall(_ stack: LuaStack, action: String) throws -> (String, [String: JSONValue]) {
    guard let name = stack.string(at: 1) else {
      throw AshbyError.argument(
        "endpoint", "argument 1 must be an endpoint name like \"candidate.info\"", action: action)
    }
    let params = try JSONBridge.parameters(try stack.value(at: 2), action: action)
    if try callOptions(stack, action: action).unchecked { return (name, params) }
    do throws(CallCheckError) {
      let endpoint = try Catalog.lookup(name)
      // Any list iterates (one request where Ashby has no cursor); one object is ashby.call's.
      if action == "pages" && endpoint.paging == .none && !endpoint.isList {
        throw CallCheckError(
          parameter: "endpoint",
          message: "\(name) returns one object, not a list; call it with ashby.call(\"\(name)\", ...)")
      }
      if action == "changes" && endpoint.paging != .sync {
        let feeds = Catalog.endpoints.filter { $0.paging == .sync }.map(\.name).sorted()
        throw CallCheckError(
          parameter: "endpoint",
          message: "\(name) has no change feed (it takes no syncToken); these do: \(feeds.joined(separator: ", "))")
      }
      if action == "changes", let given = ["syncToken", "sync_token", "cursor"].first(where: { params[$0] != nil }) {
        throw CallCheckError(
          parameter: given, message: "ashby.changes keeps the sync token and the cursor itself; leave \(given) out")
      }
      return (name, try endpoint.check(params))
    } catch {
      throw AshbyError(.argument, error.message, action: action, endpoint: name, parameter: error.parameter)
    }
  }

  struct CallOptions {
    var unchecked = false
    /// This call's `X-On-Behalf-Of` (writes only), instead of the run's.
    var onBehalfOf: String?
  }

  /// The third argument of `ashby.call` / `ashby.pages`.
  static func callOptions(_ stack: LuaStack, action: String) throws -> CallOptions {
    guard stack.count >= 3, !stack.isNil(at: 3) else { return CallOptions() }
    guard case .object(let fields) = try stack.value(at: 3) else {
      throw AshbyError.argument("options", "argument 3 must be a table like {unchecked = true}", action: action)
    }
    var options = CallOptions()
    for (key, value) in fields {
      switch key {
      case "unchecked":
        guard case .boolean(let b) = value else {
          throw AshbyError.argument("unchecked", "\"unchecked\" must be true or false", action: action)
        }
        options.unchecked = b
      case "on_behalf_of", "onBehalfOf":
        guard case .string(let user) = value, Catalog.isOnBehalfOf(user) else {
          throw AshbyError.argument(key, "\"\(key)\" must be an Ashby user id or email (printable, no spaces)", action: action)
        }
        options.onBehalfOf = user
      default:
        let shown = key.count > 40 ? "\(key.prefix(40))..." : key
        let near = Suggestion.closest(shown, ["unchecked", "on_behalf_of"]).map { " (did you mean \($0)?)" } ?? ""
        throw AshbyError.argument(
          shown, "unknown option \"\(shown)\"\(near); the options are unchecked and on_behalf_of", action: action)
      }
    }
    return options
  }

  /// Functions only the prelude sees (under `ashby_private`, removed after it runs).
  static func registerPrivate(ctx: LuaContext, client: AshbyClient, feeds: ChangeFeeds) {
    let cursors = PageCursors()
    ctx.register("ashby_private.open_pages") { stack in
      let (endpoint, params) = try checkedCall(stack, action: "pages")
      stack.push(.integer(cursors.open(client.pages(endpoint, params))))
      return 1
    }
    // `ashby.changes`: the pages of what changed since the stored token
    // (all of them without one); true as a second result when there was none.
    ctx.register("ashby_private.open_changes") { stack in
      var (endpoint, params) = try checkedCall(stack, action: "changes")
      guard feeds.state != nil else {
        throw AshbyError.argument(
          "state",
          "ashby.changes keeps its place between runs, and this run has nowhere to keep it: run it from `ashby-lua schedule` or with `ashby-lua run --feed NAME`",
          action: "changes")
      }
      let token = feeds.token(for: endpoint)
      if let token { params["syncToken"] = .string(token) }
      stack.push(.integer(cursors.open(client.pages(endpoint, params), feed: endpoint)))
      stack.push(.boolean(token == nil))
      return 2
    }
    // The next page, and (once, with the first) why a stored token was refused.
    ctx.registerAsync("ashby_private.next_page", prepare: { stack -> Int64 in stack.integer(at: 1) ?? 0 }) { id in
      guard let (pages, feed) = cursors.get(id) else { return [.nil] }
      do {
        let page = try await pages.nextPage()
        let resync = pages.fullSyncReason.map(LuaValue.string) ?? .nil
        guard let page else {
          if let feed, let token = pages.syncToken { feeds.reached(feed, token: token) }
          cursors.close(id)
          return [.nil, resync]
        }
        return [JSONBridge.lua(page), resync]
      } catch let error as AshbyError {
        cursors.close(id)
        throw error.within(action: feed == nil ? "pages" : "changes")
      }
    }
    ctx.register("ashby_private.close_pages") { stack in
      if let id = stack.integer(at: 1) { cursors.close(id) }
      return 0
    }
    ctx.register("ashby_private.help_text") { stack in
      stack.push(.string(HelpText.text(for: stack.string(at: 1))))
      return 1
    }
    ctx.register("ashby_private.name_hint") { stack in
      stack.push(HelpText.nameHint(stack.string(at: 1) ?? "").map(LuaValue.string) ?? .nil)
      return 1
    }
    // The prelude's option checker raises through here: an `argument` error table,
    // at the script's line, like the host's own checks.
    ctx.register("ashby_private.argument_error") { stack in
      throw AshbyError.argument(
        stack.string(at: 2) ?? "options", stack.string(at: 3) ?? "invalid options", action: stack.string(at: 1))
    }
    ctx.register("ashby_private.is_error") { stack in
      stack.push(.boolean(stack.isHostError(at: 1)))
      return 1
    }
    ctx.setGlobal("ashby_private.dry_run", .boolean(client.configuration.dryRun))
  }

  /// What the progress line and the charts need from the host: a clock, the
  /// terminal's width, whether a live line may be drawn, and the pacer's queue.
  static func registerDisplay(ctx: LuaContext, client: AshbyClient, display: Display) {
    let start = ContinuousClock.now
    ctx.register("ashby_private.clock") { stack in
      stack.push(.number((ContinuousClock.now - start) / .seconds(1)))
      return 1
    }
    ctx.register("ashby_private.columns") { stack in
      stack.push(.integer(Int64(Display.columns)))
      return 1
    }
    ctx.register("ashby_private.pacing") { stack in
      stack.push(.integer(Int64(client.requestsWaitingForBudget)))
      return 1
    }
    ctx.setGlobal("ashby_private.progress_mode", .string(display.progress.rawValue))
    ctx.setGlobal("ashby_private.unicode", .boolean(display.unicode))
  }

  /// `require("ashby.pretty")`, `"ashby.util"` and `"ashby.repl"` from the embedded
  /// sources: handed to the prelude as text, compiled on first `require`.
  static func installModules(_ ctx: LuaContext) throws {
    let modules: [String: LuaValue] = [
      "ashby.pretty": .string(AshbyStdlib.pretty), "ashby.util": .string(AshbyStdlib.util),
      "ashby.repl": .string(AshbyStdlib.repl), "ashby.progress": .string(AshbyStdlib.progress),
      "ashby.chart": .string(AshbyStdlib.chart), "ashby.report": .string(AshbyStdlib.report),
      "ashby.csv": .string(AshbyStdlib.csv), "ashby.spec": .string(AshbyStdlib.spec),
      "ashby.clock": .string(AshbyStdlib.clock), "ashby.assert": .string(AshbyStdlib.assertions),
    ]
    ctx.setGlobal("ashby_private.module_sources", .object(modules))
  }

  static func runPrelude(_ ctx: LuaContext) throws {
    try ctx.load(AshbyStdlib.prelude, name: "=ashby.prelude")
    ctx.pushGlobal("ashby")
    ctx.pushGlobal("ashby_private")
    try ctx.call(stackArguments: 2) { _, _ in () }
    ctx.setGlobal("ashby_private", .nil)
  }
}

/// Open `ashby.pages` iterators, by handle. Each is advanced by one coroutine at a time.
final class PageCursors: @unchecked Sendable {
  private let lock = NSLock()
  /// The pages, and for `ashby.changes` the endpoint whose token the last page moves on.
  private var open: [Int64: (AshbyPages, String?)] = [:]
  private var last: Int64 = 0

  func open(_ pages: AshbyPages, feed: String? = nil) -> Int64 {
    lock.withLock {
      last += 1
      open[last] = (pages, feed)
      return last
    }
  }

  func get(_ id: Int64) -> (AshbyPages, String?)? { lock.withLock { open[id] } }
  func close(_ id: Int64) { lock.withLock { open[id] = nil } }
}
