import AshbyCatalog
import AshbyJSON
import Foundation

/// Checked action parameters. Every check runs before any request is sent.
public struct ActionParams: Sendable {
  public let spec: ActionSpec
  public let values: [String: JSONValue]

  /// Checks unknown keys (typo guard), required keys, types and formats.
  public init(_ spec: ActionSpec, _ values: [String: JSONValue]) throws(AshbyError) {
    self.spec = spec
    func fail(_ p: String, _ m: String) -> AshbyError { AshbyError.argument(p, m, action: spec.name) }
    try Self.checkFields(values, spec.parameters, path: "", fail)
    for group in spec.oneOf {
      let given = group.filter { values[$0] != nil }
      if given.count != 1 {
        let names = group.map { "\"\($0)\"" }.joined(separator: " or ")
        throw fail(group[0], given.isEmpty ? "give \(names)" : "give only one of \(names)")
      }
    }
    // The one place an interval is checked, for real and dry runs alike.
    if let start = values["start_time"]?.string.flatMap(Timestamps.parse),
      let end = values["end_time"]?.string.flatMap(Timestamps.parse), !(end > start)
    {
      throw fail("end_time", "\"end_time\" must be after \"start_time\"")
    }
    self.values = values
  }

  /// Unknown, missing and mistyped fields of one table (the parameters, or a `.table` parameter's fields).
  private static func checkFields(
    _ values: [String: JSONValue], _ parameters: [ActionSpec.Parameter], path: String,
    _ fail: (String, String) -> AshbyError
  ) throws(AshbyError) {
    func at(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }
    for key in values.keys.sorted() where !parameters.contains(where: { $0.name == key }) {
      // A key past any parameter's length is no typo; echo only its start.
      let long = key.utf8.count > 64
      let hint = long ? "" : Suggestion.closest(key, parameters.map(\.name)).map { " (did you mean \"\($0)\"?)" } ?? ""
      let shown = at(long ? "\(key.prefix(60))..." : key)
      throw fail(shown, "unknown parameter \"\(shown)\"\(hint)")
    }
    for p in parameters where p.required && values[p.name] == nil {
      throw fail(at(p.name), "missing required parameter \"\(at(p.name))\"")
    }
    for p in parameters {
      guard let v = values[p.name] else { continue }
      if p.type == .table {
        guard case .object(let fields) = v else {
          throw fail(at(p.name), "\"\(at(p.name))\" must be a table like { \(p.fields.map { "\($0.name) = ..." }.joined(separator: ", ")) }, got \(typeName(v))")
        }
        try checkFields(fields, p.fields, path: at(p.name), fail)
        continue
      }
      try Self.check(v, p, name: at(p.name), fail)
    }
  }

  private static func check(
    _ v: JSONValue, _ p: ActionSpec.Parameter, name: String, _ fail: (String, String) -> AshbyError
  ) throws(AshbyError) {
    if p.type == .stringOrList {
      if case .string = v { return }
      if let items = v.array, !items.isEmpty, items.allSatisfy({ $0.string != nil }) { return }
      throw fail(name, "\"\(name)\" must be a string or a non-empty list of strings")
    }
    guard let s = v.string else {
      throw fail(name, "\"\(name)\" must be a string, got \(typeName(v))")
    }
    if s.trimmingCharacters(in: .whitespaces).isEmpty { throw fail(name, "\"\(name)\" must not be empty") }
    switch p.type {
    case .email:
      if !isEmail(s) { throw fail(name, "\"\(name)\" is not an email address: \"\(s)\"") }
    case .time:
      if Timestamps.utc(s) == nil {
        throw fail(
          name,
          "\"\(name)\" must be a real ISO 8601 time with Z or an offset, years \(Timestamps.years.lowerBound)-\(Timestamps.years.upperBound) (like 2026-03-02T15:00:00Z), got \"\(s.prefix(80))\""
        )
      }
    case .url:
      guard let url = URL(string: s), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
        url.host != nil
      else { throw fail(name, "\"\(name)\" must be an http or https URL, got \"\(s)\"") }
    default: break
    }
  }

  static func typeName(_ v: JSONValue) -> String {
    switch v {
    case .null: return "null"
    case .bool: return "boolean"
    case .int, .double: return "number"
    case .string: return "string"
    case .array, .object: return "table"
    }
  }

  static func isEmail(_ s: String) -> Bool {
    let parts = s.split(separator: "@", omittingEmptySubsequences: false)
    guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
      !parts[1].hasSuffix(".")
    else { return false }
    return !s.contains(where: { $0.isWhitespace })
  }

  public func string(_ name: String) -> String? { values[name]?.string }
  public subscript(_ name: String) -> JSONValue? { values[name] }
}
