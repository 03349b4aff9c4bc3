/// Finds the line of a key in TOML text, for error reports. TOMLKit parses the
/// file; this only locates what it parsed: a table header like `[defaults]`
/// or `[[job]]` (the n-th one) and a `key =` line under it.
struct SourceLines {
  private let lines: [Substring]

  init(_ text: String) { lines = text.split(separator: "\n", omittingEmptySubsequences: false) }

  /// The 1-based line of `key` in the `occurrence`-th section headed `[section]`
  /// (`"[job]"` for `[[job]]`, `""` for the top, before any header); the header's
  /// line when the key is not there; nil when neither is found.
  func line(of key: String?, section: String, occurrence: Int) -> Int? {
    var start = 0
    if !section.isEmpty {
      let headers = lines.indices.filter { Self.header(lines[$0]) == section }
      guard occurrence < headers.count else { return nil }
      start = headers[occurrence] + 1
    }
    guard let key else { return section.isEmpty ? nil : start }
    var i = start
    while i < lines.count, Self.header(lines[i]) == nil {
      // `keep.runs = 5` sets `keep` too: the dotted key's first part.
      if let found = Self.key(lines[i]),
        found == key || found.split(separator: ".").first.map({ String($0.filter { !$0.isWhitespace }) }) == key
      {
        return i + 1
      }
      i += 1
    }
    return section.isEmpty ? nil : start
  }

  /// The first line that names `key` as a key: `key =`, `key.x =`, `[key]`,
  /// or inside an inline table (`{ key = ... }`); the fallback for keys and
  /// tables the section walk cannot place (inline tables, dotted keys, `[job]`).
  func firstMention(of key: String) -> Int? {
    let patterns = ["\(key) =", "\(key)=", "\(key).", "[\(key)]", "[[\(key)]]"]
    for (i, line) in lines.enumerated() {
      let text = line.drop(while: \.isWhitespace)
      if patterns.contains(where: { text.hasPrefix($0) }) { return i + 1 }
      if ["{", ",", " "].contains(where: { line.contains("\($0) \(key) =") || line.contains("\($0)\(key) =") }) { return i + 1 }
    }
    return nil
  }

  /// The line of `[name]` or `[[name]]`, if any.
  func header(_ name: String) -> Int? {
    lines.firstIndex { Self.header($0) == name || Self.header($0) == "[\(name)]" }.map { $0 + 1 }
  }

  /// `defaults` for `[defaults]`, `[job]` for `[[job]]`, nil for other lines.
  private static func header(_ line: Substring) -> String? {
    var text = line.drop(while: \.isWhitespace)
    if let hash = text.firstIndex(of: "#"), !text[..<hash].contains("\"") { text = text[..<hash] }
    let trimmed = text.trimmingSuffix(while: \.isWhitespace)
    guard trimmed.hasPrefix("["), trimmed.hasSuffix("]") else { return nil }
    let inner = trimmed.dropFirst().dropLast()
    return inner.filter { !$0.isWhitespace }
  }

  /// The bare or quoted key before `=`.
  private static func key(_ line: Substring) -> String? {
    let text = line.drop(while: \.isWhitespace)
    guard let eq = text.firstIndex(of: "=") else { return nil }
    let key = text[..<eq].trimmingSuffix(while: \.isWhitespace)
    if key.count >= 2, key.first == "\"" || key.first == "'", key.last == key.first {
      return String(key.dropFirst().dropLast())
    }
    return String(key)
  }
}

extension Substring {
  fileprivate func trimmingSuffix(while predicate: (Character) -> Bool) -> Substring {
    var end = endIndex
    while end > startIndex, predicate(self[index(before: end)]) { end = index(before: end) }
    return self[startIndex..<end]
  }
}
