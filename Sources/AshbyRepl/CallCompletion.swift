import AshbyCatalog

/// Tab inside `ashby.call("…` offers endpoint names; inside the params table
/// of `ashby.call("candidate.create", { …` it offers that endpoint's fields.
enum CallCompletion {
  /// nil when the cursor is not inside a call's endpoint name or params.
  static func names(word: String, line: String) -> [String]? {
    guard let call = openCall(in: line) else { return nil }
    let rest = line[call...]
    guard let quote = rest.first, quote == "\"" || quote == "'" else { return nil }
    let afterQuote = rest.dropFirst()
    guard let close = afterQuote.firstIndex(of: quote) else {
      // Still typing the endpoint's name.
      return Catalog.endpoints.map(\.name).filter { $0.hasPrefix(word) }
    }
    guard let endpoint = Catalog.endpoint(String(afterQuote[..<close])) else { return [] }
    let tail = afterQuote[afterQuote.index(after: close)...]
    // Inside `{ ... ` at the top level, where a field name goes.
    guard let brace = tail.firstIndex(of: "{"), !tail[brace...].contains("}") else { return nil }
    let table = tail[tail.index(after: brace)...]
    let last = table.split(whereSeparator: { $0 == "," || $0 == "{" }).last.map(String.init) ?? ""
    if last.contains("=") && !table.hasSuffix(",") && !table.hasSuffix(" ") { return nil }
    var names: [String] = []
    for field in endpoint.request.fields {
      for name in [field.name, field.snakeName] where name.hasPrefix(word) && !names.contains(name) {
        names.append(name)
      }
    }
    return names.sorted()
  }

  /// Where the argument list of the last unclosed `ashby.call(` / `ashby.pages(` starts.
  static func openCall(in line: String) -> String.Index? {
    for opener in ["ashby.call(", "ashby.pages("] {
      guard let range = line.range(of: opener, options: .backwards) else { continue }
      let after = line[range.upperBound...]
      let open = after.filter { $0 == "(" }.count, closed = after.filter { $0 == ")" }.count
      if closed <= open { return after.firstIndex { !$0.isWhitespace } }
    }
    return nil
  }
}
