import Foundation
import AshbyJSON

/// A call refused before it was sent: which parameter, and why, in words a
/// script's author can act on.
public struct CallCheckError: Error, Sendable, Equatable {
  /// The parameter's path as the caller wrote it (`interview_events[1].start_time`), or `endpoint`.
  public let parameter: String
  public let message: String

  public init(parameter: String, message: String) {
    self.parameter = parameter
    self.message = message
  }
}

extension Endpoint {
  /// Checks params against the catalog and returns them as Ashby spells them.
  ///
  /// Names may be given in snake_case or camelCase, at any depth the catalog
  /// describes; giving both spellings of one field is refused. `null` stands
  /// for "unset" and is accepted for any field.
  public func check(_ params: [String: JSONValue]) throws(CallCheckError) -> [String: JSONValue] {
    if multipart {
      throw CallCheckError(
        parameter: "endpoint",
        message:
          "\(name) takes a file upload (multipart/form-data), which a JSON call cannot send; create_candidate and create_application upload a resume from resume_url"
      )
    }
    return try ShapeCheck.object(params, request, path: "")
  }
}

extension Catalog {
  /// The endpoint, or an error that suggests the nearest name.
  public static func lookup(_ name: String) throws(CallCheckError) -> Endpoint {
    if let endpoint = byName[name] { return endpoint }
    let shown = name.count > 80 ? "\(name.prefix(80))..." : name
    var hint = ""
    if name.utf8.count <= 80, let near = nearestEndpoint(to: name) { hint = " (did you mean \"\(near)\"?)" }
    throw CallCheckError(
      parameter: "endpoint",
      message: "\"\(shown)\" is not an Ashby endpoint\(hint); ashby.help(\"endpoints\") lists them, {unchecked = true} sends it anyway"
    )
  }

  /// The closest endpoint name: same letters in another case first, then within two edits, then
  /// by words (`candidate.addNote` → `candidate.createNote`).
  public static func nearestEndpoint(to name: String) -> String? {
    let lower = name.lowercased()
    if let same = generated.first(where: { $0.name.lowercased() == lower }) { return same.name }
    return Suggestion.closest(name, generated.map(\.name)) ?? nearestByWords(name)
  }

  /// Verbs people reach for, and the one Ashby's method names use.
  static let verbs: [String: String] = [
    "add": "create", "new": "create", "make": "create", "post": "create", "insert": "create", "get": "info",
    "fetch": "info", "show": "info", "read": "info", "find": "search", "lookup": "search", "remove": "delete",
    "destroy": "delete", "drop": "delete", "edit": "update", "modify": "update", "set": "update", "all": "list",
    "move": "change", "advance": "change",
  ]

  /// An endpoint of the same category (or one within two edits of it) whose method shares a noun with
  /// the name's, the verb read as Ashby's when it is a synonym; nil when nothing shares a noun.
  static func nearestByWords(_ name: String) -> String? {
    let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
    guard parts.count == 2, name.utf8.count <= 80 else { return nil }
    let categories = Set(generated.map { $0.name.split(separator: ".").first.map(String.init) ?? "" })
    guard let category = categories.contains(parts[0]) ? parts[0] : Suggestion.closest(parts[0], Array(categories))
    else { return nil }
    let wanted = words(parts[1]).map { verbs[$0] ?? $0 }
    var best: (name: String, score: Int)?
    for endpoint in generated where endpoint.name.hasPrefix(category + ".") {
      let method = words(String(endpoint.name.dropFirst(category.count + 1)))
      let nouns = Set(method.dropFirst()).intersection(wanted.dropFirst()).count
      guard nouns > 0 else { continue }
      let score = nouns * 2 + (method.first == wanted.first ? 1 : 0)
      if score > best?.score ?? 0 { best = (endpoint.name, score) }
    }
    return best?.name
  }

  /// A camelCase method's words, lowercased, each without a plural `s` (`listNotes` → list, note).
  static func words(_ method: String) -> [String] {
    var out: [String] = []
    var current = ""
    for c in method {
      if c.isUppercase, !current.isEmpty {
        out.append(current)
        current = ""
      }
      current.append(contentsOf: c.lowercased())
    }
    if !current.isEmpty { out.append(current) }
    return out.map { $0.count > 3 && $0.hasSuffix("s") ? String($0.dropLast()) : $0 }
  }
}

/// "Did you mean": the nearest of some names.
public enum Suggestion {
  /// The name a typo meant: the same in another case, else within two edits, else one that starts
  /// with the other (`applicationSubmitted` → `applicationSubmit`, at least five letters shared).
  public static func closest(_ key: String, _ names: [String]) -> String? {
    guard key.utf8.count <= 80 else { return nil }
    let lower = key.lowercased()
    if let same = names.first(where: { $0.lowercased() == lower }) { return same }
    if let near = names.map({ ($0, distance(key, $0)) }).filter({ $0.1 <= 2 }).min(by: { $0.1 < $1.1 })?.0 { return near }
    return names.filter { name in
      let other = name.lowercased()
      return min(other.count, lower.count) >= 5 && (other.hasPrefix(lower) || lower.hasPrefix(other))
    }.min { abs($0.count - key.count) < abs($1.count - key.count) }
  }

  /// Levenshtein distance, on characters.
  public static func distance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
    var row = Array(0...b.count)
    for i in 1...a.count {
      var prev = row[0]
      row[0] = i
      for j in 1...b.count {
        let cur = row[j]
        row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
        prev = cur
      }
    }
    return row[b.count]
  }
}

/// The walk over params and a shape.
enum ShapeCheck {
  static func object(_ params: [String: JSONValue], _ shape: Shape, path: String) throws(CallCheckError)
    -> [String: JSONValue]
  {
    if shape.isOpen { return params }
    func at(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
    var out: [String: JSONValue] = [:]
    var spelled: [String: String] = [:]  // Ashby's name -> as given
    for key in params.keys.sorted() {
      guard let field = shape.field(key) ?? shape.fields.first(where: { $0.snakeName == key }) else {
        throw unknown(key, shape, path: at(key))
      }
      if let other = spelled[field.name] {
        throw CallCheckError(parameter: at(key), message: "\"\(at(key))\" is given twice (also as \"\(other)\")")
      }
      spelled[field.name] = key
      out[field.name] = try value(params[key] ?? .null, field.type, path: at(key))
    }
    try requireOne(of: shape, given: Set(out.keys), path: path, snake: spelled.values.contains { $0.contains("_") })
    return out
  }

  static func unknown(_ key: String, _ shape: Shape, path: String) -> CallCheckError {
    let long = key.utf8.count > 64
    let shownPath = long ? "\(path.prefix(path.count - key.count))\(key.prefix(60))..." : path
    let snake = key.contains("_")
    let names = shape.fields.map { snake ? $0.snakeName : $0.name }
    var hint = ""
    if !long {
      let near =
        Suggestion.closest(key, names)
        ?? Suggestion.closest(key, shape.fields.map(\.name) + shape.fields.map(\.snakeName))
      if let near { hint = " (did you mean \"\(near)\"?)" }
    }
    let known =
      shape.fields.isEmpty
      ? "; it takes no parameters" : hint.isEmpty ? "; known: \(names.joined(separator: ", "))" : ""
    return CallCheckError(parameter: shownPath, message: "unknown parameter \"\(shownPath)\"\(hint)\(known)")
  }

  static func requireOne(of shape: Shape, given: Set<String>, path: String, snake: Bool) throws(CallCheckError) {
    guard !shape.requiredSets.isEmpty, !shape.requiredSets.contains(where: { Set($0).isSubset(of: given) }) else {
      return
    }
    func spell(_ name: String) -> String {
      let shown = snake ? Field.snake(name) : name
      return path.isEmpty ? shown : "\(path).\(shown)"
    }
    if shape.requiredSets.count == 1, let missing = shape.requiredSets[0].first(where: { !given.contains($0) }) {
      throw CallCheckError(parameter: spell(missing), message: "missing required parameter \"\(spell(missing))\"")
    }
    // Several forms: name the one closest to what was given.
    let best = shape.requiredSets.max { a, b in
      a.filter(given.contains).count < b.filter(given.contains).count
    }
    let missing = best?.first { !given.contains($0) } ?? shape.requiredSets[0][0]
    let forms = shape.requiredSets.map { $0.map { "\"\(spell($0))\"" }.joined(separator: " + ") }
    throw CallCheckError(
      parameter: spell(missing), message: "missing required parameter: give \(forms.joined(separator: ", or "))")
  }

  static func value(_ v: JSONValue, _ type: FieldType, path: String) throws(CallCheckError) -> JSONValue {
    if case .null = v { return v }
    func wrong(_ expected: String) -> CallCheckError {
      CallCheckError(parameter: path, message: "\"\(path)\" must be \(expected), got \(describe(v))")
    }
    switch type {
    case .any: return v
    case .null: throw wrong("null")
    case .string, .id, .time:
      guard case .string = v else { throw wrong(type.article) }
      return v
    case .boolean:
      guard case .bool = v else { throw wrong("a boolean") }
      return v
    case .number:
      switch v {
      case .int, .double: return v
      default: throw wrong("a number")
      }
    case .integer:
      switch v {
      case .int: return v
      case .double(let d) where d == d.rounded() && abs(d) < 9.0e15: return .int(Int64(d))
      default: throw wrong("an integer")
      }
    case .epochMilliseconds:
      return try epochMilliseconds(v, path: path)
    case .enumeration(let values):
      guard case .string(let s) = v else { throw wrong("one of \(list(values))") }
      if values.contains(s) { return v }
      let near = values.first { $0.lowercased() == s.lowercased() } ?? Suggestion.closest(s, values)
      let hint = near.map { " (did you mean \"\($0)\"?)" } ?? ""
      throw CallCheckError(
        parameter: path, message: "\"\(path)\" must be one of \(list(values)), got \"\(s.prefix(80))\"\(hint)")
    case .array(let item):
      switch v {
      case .array(let items):
        var out: [JSONValue] = []
        out.reserveCapacity(items.count)
        for (i, x) in items.enumerated() { out.append(try value(x, item, path: "\(path)[\(i + 1)]")) }
        return .array(out)
      case .object(let o) where o.isEmpty: return .array([])
      default: throw wrong("a list")
      }
    case .object(let shape):
      switch v {
      case .object(let o): return .object(try object(o, shape, path: path))
      case .array(let a) where a.isEmpty: return .object(try object([:], shape, path: path))
      default: throw wrong("a table with named fields")
      }
    case .union(let types):
      for t in types {
        if let ok = try? value(v, t, path: path) { return ok }
      }
      throw wrong(types.map(\.article).joined(separator: " or "))
    }
  }

  /// Ashby reads these as milliseconds since the epoch; `os.time()` and
  /// `ashby.util.date.parse` give seconds, and a count of seconds sent as
  /// milliseconds is a date in January 1970 that filters nothing, silently.
  /// So an ISO 8601 time is turned into milliseconds here, and a number too
  /// small to be milliseconds of this era (below 10^11, March 1973) is refused.
  static func epochMilliseconds(_ v: JSONValue, path: String) throws(CallCheckError) -> JSONValue {
    let ms: Int64
    switch v {
    case .string(let s):
      guard let date = Timestamps.parse(s) else {
        throw CallCheckError(
          parameter: path,
          message: "\"\(path)\" must be milliseconds since the epoch or an ISO 8601 time with Z or an offset, got \(describe(v))")
      }
      return .int(Int64((date.timeIntervalSince1970 * 1000).rounded()))
    case .int(let i): ms = i
    case .double(let d) where d == d.rounded() && abs(d) < 9.0e15: ms = Int64(d)
    default:
      throw CallCheckError(
        parameter: path,
        message: "\"\(path)\" must be milliseconds since the epoch (an integer) or an ISO 8601 time, got \(describe(v))")
    }
    if ms.magnitude < 100_000_000_000 {
      throw CallCheckError(
        parameter: path,
        message: "\"\(path)\" is \(ms), which looks like seconds; Ashby wants milliseconds since the epoch: give \(ms) * 1000, or an ISO 8601 time such as ashby.util.date.format(t)")
    }
    return .int(ms)
  }

  static func list(_ values: [String]) -> String {
    let shown = values.prefix(12).map { "\"\($0)\"" }.joined(separator: ", ")
    return values.count > 12 ? shown + ", ..." : shown
  }

  static func describe(_ v: JSONValue) -> String {
    switch v {
    case .null: return "null"
    case .bool(let b): return "boolean \(b)"
    case .int(let i): return "number \(i)"
    case .double(let d): return "number \(d)"
    case .string(let s): return "string \"\(s.prefix(40))\(s.count > 40 ? "..." : "")\""
    case .array: return "a list"
    case .object: return "a table with named fields"
    }
  }
}

extension FieldType {
  /// "a string (an id)", for messages.
  var article: String {
    switch self {
    case .string: return "a string"
    case .id: return "a string (an id)"
    case .time: return "a string (an ISO 8601 time)"
    case .integer: return "an integer"
    case .epochMilliseconds: return "milliseconds since the epoch or an ISO 8601 time"
    case .number: return "a number"
    case .boolean: return "a boolean"
    case .null: return "null"
    case .enumeration(let values): return "one of \(ShapeCheck.list(values))"
    case .array: return "a list"
    case .object: return "a table with named fields"
    case .union(let types): return types.map(\.article).joined(separator: " or ")
    case .any: return "anything"
    }
  }
}
