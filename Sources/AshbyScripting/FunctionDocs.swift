import AshbyCatalog
import AshbyKit

/// Help for the `ashby` functions that are not one of the six actions.
struct FunctionDoc: Sendable {
  var name: String
  /// LuaLS parameters: (name, type, doc); a `?` suffix marks optional ones.
  var params: [(String, String, String)]
  var returns: String
  var summary: String
  var example: String

  var signature: String {
    "ashby.\(name)(" + params.map { $0.0 }.joined(separator: ", ") + ")" + (returns.isEmpty ? "" : " -> \(returns)")
  }

  static let all: [FunctionDoc] = [
    FunctionDoc(
      name: "call",
      params: [
        ("endpoint", "string", "An Ashby endpoint, like \"candidate.info\"."),
        ("params?", "table", "Its parameters, in Ashby's camelCase or snake_case; checked against the catalog."),
        ("options?", "ashby.call.options", "{unchecked = true} sends the params as given."),
      ],
      returns: "any, ashby.call.page",
      summary:
        "Calls any Ashby endpoint and returns its `results` and where the page stands ({more, next_cursor, sync_token}): a list endpoint answers one page, and says so on stderr once when there was more (ashby.pages reads them all); refuses an unknown endpoint or field before sending. Writes obey --dry-run.",
      example: #"local c = ashby.call("candidate.info", { id = "..." })"#),
    FunctionDoc(
      name: "pages",
      params: [
        ("endpoint", "string", "A paged list endpoint, like \"candidate.list\"."),
        ("params?", "table", "Its parameters, checked as for ashby.call."),
        ("options?", "ashby.call.options", "{unchecked = true} sends the params as given."),
      ],
      returns: "fun(): table?", summary: "Iterates every item across all pages, one page in memory at a time.",
      example: #"for c in ashby.pages("candidate.list") do print(c.name) end"#),
    FunctionDoc(
      name: "changes",
      params: [
        ("endpoint", "string", "A list endpoint with a change feed (it takes syncToken), like \"application.list\"."),
        ("params?", "table", "Its parameters, checked as for ashby.call (no syncToken or cursor)."),
        ("options?", "ashby.changes.options", "on_first = \"skip\"; on_resync = function(info)."),
      ],
      returns: "fun(): table?",
      summary:
        "Iterates only what changed since this job's last successful run (Ashby's sync token, kept by the scheduler or `run --feed NAME`).",
      example: #"for app in ashby.changes("application.list") do print(app.id, app.status) end"#),
    FunctionDoc(
      name: "spawn",
      params: [("fn", "function", "Runs at once as a child coroutine."), ("...", "any", "Its arguments.")],
      returns: "ashby.Task", summary: "Starts fn(...) as a child; its host calls overlap with yours.",
      example: "local h = ashby.spawn(ashby.get_job, id); local job = ashby.wait(h)"),
    FunctionDoc(
      name: "wait", params: [("...", "ashby.Task", "Handles from spawn.")],
      returns: "any ...",
      summary: "Waits for every child; returns each one's first result in order, or raises the first failure.",
      example: "local a, b = ashby.wait(h1, h2)"),
    FunctionDoc(
      name: "wait_any", params: [("...", "ashby.Task", "Handles from spawn.")],
      returns: "integer, any", summary: "Waits for the first child to finish; returns its position and first result.",
      example: "local which, value = ashby.wait_any(h1, h2)"),
    FunctionDoc(
      name: "all", params: [("fns", "function[]", "Functions to run as children.")],
      returns: "any[]", summary: "Runs each function as a child and returns their first results, in order.",
      example:
        "local jobs = ashby.all{ function() return ashby.get_job(a) end, function() return ashby.get_job(b) end }"),
    FunctionDoc(
      name: "map",
      params: [
        ("list", "any[]", "Items."), ("fn", "fun(item: any, i: integer): any", "Called per item."),
        ("opts?", "{concurrency?: integer}", "At most this many at once (default 8)."),
      ],
      returns: "any[]", summary: "Calls fn(item, i) for every item in parallel; results in input order.",
      example: "local jobs = ashby.map(ids, function(id) return ashby.get_job(id) end, { concurrency = 10 })"),
    FunctionDoc(
      name: "sleep", params: [("seconds", "number", "How long.")], returns: "",
      summary: "Waits without blocking other coroutines.", example: "ashby.sleep(0.5)"),
    FunctionDoc(
      name: "is_error", params: [("value", "any", "Anything, typically what pcall caught.")], returns: "boolean",
      summary: "True for the error tables ashby functions raise.",
      example: "local ok, err = pcall(ashby.get_job, id); if ashby.is_error(err) then print(err.kind) end"),
    FunctionDoc(
      name: "object",
      params: [
        ("value", "table", "An Ashby object from elsewhere: a webhook's data, JSON read from a file."),
        ("name", "string", "The object's name, as ashby.help(\"objects\") lists them, like \"Application\"."),
      ],
      returns: "table",
      summary:
        "Makes a table as strict as ashby's own results: a field the named object does not have raises with the nearest name.",
      example: #"local app = ashby.object(ashby.event.data.application, "Application")"#),
    FunctionDoc(
      name: "notify",
      params: [
        ("target", "string", "A [notify.NAME] target of config.toml (with --fake, any name posts to the fake's sink)."),
        ("message", "string|table", "Text (sent as {\"text\": ...}, as Slack, Teams and Google Chat read it) or a table sent as JSON."),
      ],
      returns: "boolean",
      summary:
        "Posts a message to a configured target (an incoming webhook); the host holds its URL, the script only names it. Under --dry-run it says what it would post and sends nothing (false).",
      example: #"ashby.notify("recruiting", ("%d applications moved"):format(n))"#),
    FunctionDoc(
      name: "help", params: [("fn_or_name?", "function|string", "A function or its name.")], returns: "",
      summary: "Prints what a function takes, calls and returns, with an example.",
      example: "ashby.help(ashby.create_candidate)"),
  ]

  static func named(_ name: String) -> FunctionDoc? { all.first { $0.name == name } }
}

/// The text `ashby.help` prints, built from the same metadata as the stubs.
enum HelpText {
  static func text(for name: String?) -> String {
    guard let name, !name.isEmpty else { return overview() }
    if let spec = Actions.spec(name) { return action(spec) }
    if let doc = FunctionDoc.named(name) {
      return "\(doc.signature)\n  \(doc.summary)\n" + params(doc.params) + "  Example:\n    \(doc.example)"
    }
    if name == "endpoints" { return EndpointHelp.list() }
    if let module = ModuleDoc.named(name) { return module.listing }
    if let f = ModuleDoc.function(name) { return "\(f.signature)\n  \(f.summary)" }
    if let endpoint = Catalog.endpoint(name) { return EndpointHelp.text(endpoint) }
    if name == "objects" { return EndpointHelp.objectList() }
    if let object = Catalog.object(name) { return EndpointHelp.text(object) }
    let near = Catalog.nearestEndpoint(to: name).map { " (did you mean \"\($0)\"?)" } ?? ""
    return "no help for \"\(name)\"\(near); try ashby.help() for the list"
  }

  /// For a name the `ashby` table lacks that reads like an endpoint (`list_applications`,
  /// `get_offer`): the endpoint that does it, and how to call it.
  static func nameHint(_ key: String) -> String? {
    for (prefix, method) in [("list_", "list"), ("get_", "info")] where key.hasPrefix(prefix) {
      let noun = String(key.dropFirst(prefix.count))
      let singular = noun.hasSuffix("s") ? String(noun.dropLast()) : noun
      let words = singular.split(separator: "_").map(String.init)
      let category = (words.first ?? "") + words.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
      guard let endpoint = Catalog.endpoint("\(category).\(method)") else { continue }
      let what = words.joined(separator: " ")
      return method == "list"
        ? "to list \(what)s: for item in ashby.pages(\"\(endpoint.name)\") do … end"
        : "to get one \(what): ashby.call(\"\(endpoint.name)\", { … }); ashby.help(\"\(endpoint.name)\") says what it takes"
    }
    return nil
  }

  static func overview() -> String {
    var out = "The ashby table (ashby.help(name) for details):\n"
    for spec in Actions.all { out += "  \(pad(spec.name)) \(spec.summary)\n" }
    for doc in FunctionDoc.all { out += "  \(pad(doc.name)) \(doc.summary)\n" }
    for module in ModuleDoc.all { out += "  \(pad(module.name)) \(module.summary)\n" }
    out += "  \(pad("dry_run")) true under --dry-run (read-only)\n"
    out += "Every Ashby endpoint: ashby.help(\"endpoints\"); one of them: ashby.help(\"offer.create\")"
    return out
  }

  static func action(_ spec: ActionSpec) -> String {
    let required = spec.parameters.filter(\.required).map(\.name)
    let optional = spec.parameters.filter { !$0.required }.map(\.name)
    var sig = "ashby.\(spec.name){ " + required.joined(separator: ", ")
    if !optional.isEmpty { sig += (required.isEmpty ? "" : ", ") + "[" + optional.joined(separator: ", ") + "]" }
    sig += " } -> \(spec.returns)"
    var out = "\(sig)\n  \(spec.summary)\n  Parameters:\n"
    let width = spec.parameters.map(\.name.count).max() ?? 0
    for p in spec.parameters {
      let name = p.name.padding(toLength: width, withPad: " ", startingAt: 0)
      out += "    \(name)  \(p.type.rawValue.padding(toLength: 15, withPad: " ", startingAt: 0)) "
      out += (p.required ? "required. " : "optional. ") + p.doc + "\n"
    }
    if !spec.oneOf.isEmpty {
      out += "  Give exactly one of: " + spec.oneOf.map { $0.joined(separator: " / ") }.joined(separator: "; ") + "\n"
    }
    if let positional = spec.positional { out += "  Also: ashby.\(spec.name)(\(positional))\n" }
    out += "  Ashby endpoints: \(spec.endpoints.joined(separator: ", "))\n"
    out += "  Permissions: \(spec.permissions.joined(separator: ", "))\n"
    out += "  Example:\n    \(spec.example)"
    return out
  }

  static func params(_ params: [(String, String, String)]) -> String {
    guard !params.isEmpty else { return "" }
    return "  Parameters:\n" + params.map { "    \($0.0)  \($0.1)  \($0.2)\n" }.joined()
  }

  static func pad(_ s: String) -> String { s.padding(toLength: 20, withPad: " ", startingAt: 0) }
}
