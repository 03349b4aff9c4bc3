import AshbyCatalog

/// The endpoint half of the LuaLS stubs: one params class per endpoint and a
/// typed overload of `ashby.call` (and `ashby.pages` where it pages) per
/// endpoint, so an editor checks `ashby.call("candidate.create", {...})`.
enum EndpointStubs {
  static func generate() -> String {
    var out = "-- Every Ashby endpoint, from the endpoint catalog (scripts/endpoint-catalog).\n\n"
    out += "---@class ashby.call.options\n"
    out += "---@field unchecked? boolean Send as given, unchecked against the catalog (for fields newer than it).\n"
    out += "---@field on_behalf_of? string On a write, act as this Ashby user (id or email; X-On-Behalf-Of).\n\n"
    out += "---@class ashby.call.page\n"
    out += "---@field more boolean Ashby has more: this was one page (ashby.pages reads them all).\n"
    out += "---@field next_cursor? string Give it as `cursor` for the next page.\n"
    out += "---@field sync_token? string On a list's last page: where a later ashby.changes starts.\n\n"
    for endpoint in Catalog.endpoints { out += paramsClass(endpoint) }
    return out
  }

  static func className(_ endpoint: Endpoint) -> String { "ashby.endpoint.\(endpoint.name)" }

  static func paramsClass(_ endpoint: Endpoint) -> String {
    var out = "--- \(endpoint.name): \(endpoint.access == .read ? "reads" : "writes")"
    out += endpoint.permission.map { "; needs the \($0) permission" } ?? ""
    out += endpoint.paging == .none ? "" : "; pages"
    out += ".\n---@class \(className(endpoint))\n"
    let optional = endpoint.request.requiredSets.count > 1
    // A field a Lua name cannot spell (the spec's `<file  key>` placeholder of an upload) is left
    // out: LuaLS would not read the line, and a script cannot send it through `ashby.call`.
    for field in endpoint.request.fields where field.name.wholeMatch(of: /[A-Za-z_][A-Za-z0-9_]*/) != nil {
      out += "---@field \(field.name)\(field.required && !optional ? "" : "?") \(luaType(field.type))\n"
    }
    return out + "\n"
  }

  /// `---@overload` lines for `ashby.call` or `ashby.pages`.
  static func overloads(for function: String) -> String {
    var out = ""
    for endpoint in Catalog.endpoints where function == "call" || endpoint.paging != .none || endpoint.isList {
      let object = endpoint.resultObject ?? "table"
      let returns =
        function == "call" ? "\(endpoint.results.map(resultType) ?? "any"), ashby.call.page" : "fun(): \(object)?"
      let params = endpoint.request.requiredSets.isEmpty ? "params?" : "params"
      out += "---@overload fun(endpoint: \"\(endpoint.name)\", \(params): \(className(endpoint)), "
      out += "options?: ashby.call.options): \(returns)\n"
    }
    return out
  }

  /// A LuaLS type for a field of an answer's object: `[Job]` is `Job[]`.
  static func resultType(_ type: String) -> String {
    guard type.hasPrefix("["), type.hasSuffix("]") else { return type }
    let inner = resultType(String(type.dropFirst().dropLast()))
    return inner.contains("|") ? "(\(inner))[]" : "\(inner)[]"
  }

  /// A LuaLS type for a catalog type; nested objects become table literals.
  static func luaType(_ type: FieldType) -> String {
    switch type {
    case .object(let shape):
      if shape.isOpen || shape.fields.isEmpty { return "table<string, any>" }
      let optional = shape.requiredSets.count > 1
      let fields = shape.fields.map { "\($0.name)\($0.required && !optional ? "" : "?"): \(luaType($0.type))" }
      return "{" + fields.joined(separator: ", ") + "}"
    case .array(let item):
      let inner = luaType(item)
      return inner.contains("|") ? "(\(inner))[]" : "\(inner)[]"
    case .union(let types): return types.map(luaType).joined(separator: "|")
    default: return type.luaName
    }
  }
}
