import Foundation

/// Checked action parameters. Every check runs before any request is sent.
public struct ActionParams: Sendable {
  public let spec: ActionSpec
  public let values: [String: JSONValue]

  /// Checks unknown keys (typo guard), required keys, types and formats.
  public init(_ spec: ActionSpec, _ values: [String: JSONValue]) throws(AshbyError) {
    self.spec = spec
    func fail(_ p: String, _ m: String) -> AshbyError { AshbyError.argument(p, m, action: spec.name) }
    for key in values.keys.sorted() where spec.parameter(key) == nil {
      let hint = Self.closest(key, spec.parameters.map(\.name)).map { " (did you mean \"\($0)\"?)" } ?? ""
      throw fail(key, "unknown parameter \"\(key)\"\(hint)")
    }
    for p in spec.parameters where p.required && values[p.name] == nil {
      throw fail(p.name, "missing required parameter \"\(p.name)\"")
    }
    for group in spec.oneOf {
      let given = group.filter { values[$0] != nil }
      if given.count != 1 {
        let names = group.map { "\"\($0)\"" }.joined(separator: " or ")
        throw fail(group[0], given.isEmpty ? "give \(names)" : "give only one of \(names)")
      }
    }
    for p in spec.parameters {
      guard let v = values[p.name] else { continue }
      try Self.check(v, p, fail)
    }
    self.values = values
  }

  private static func check(_ v: JSONValue, _ p: ActionSpec.Parameter, _ fail: (String, String) -> AshbyError)
    throws(AshbyError)
  {
    if p.type == .stringOrList {
      if case .string = v { return }
      if let items = v.array, !items.isEmpty, items.allSatisfy({ $0.string != nil }) { return }
      throw fail(p.name, "\"\(p.name)\" must be a string or a non-empty list of strings")
    }
    guard let s = v.string else {
      throw fail(p.name, "\"\(p.name)\" must be a string, got \(typeName(v))")
    }
    if s.trimmingCharacters(in: .whitespaces).isEmpty { throw fail(p.name, "\"\(p.name)\" must not be empty") }
    switch p.type {
    case .email:
      if !isEmail(s) { throw fail(p.name, "\"\(p.name)\" is not an email address: \"\(s)\"") }
    case .time:
      if Timestamps.utc(s) == nil {
        throw fail(
          p.name, "\"\(p.name)\" must be an ISO 8601 time with Z or an offset (like 2026-03-02T15:00:00Z), got \"\(s)\""
        )
      }
    case .url:
      guard let url = URL(string: s), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
        url.host != nil
      else { throw fail(p.name, "\"\(p.name)\" must be an http or https URL, got \"\(s)\"") }
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

  /// The parameter name within two edits of a typo, if there is one.
  static func closest(_ key: String, _ names: [String]) -> String? {
    names.map { ($0, distance(key, $0)) }.filter { $0.1 <= 2 }.min { $0.1 < $1.1 }?.0
  }

  static func distance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    var row = Array(0...b.count)
    for i in 1...max(1, a.count) where !a.isEmpty {
      var prev = row[0]
      row[0] = i
      for j in 1...max(1, b.count) where !b.isEmpty {
        let cur = row[j]
        row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
        prev = cur
      }
    }
    return a.isEmpty ? b.count : (b.isEmpty ? a.count : row[b.count])
  }

  public func string(_ name: String) -> String? { values[name]?.string }
  public subscript(_ name: String) -> JSONValue? { values[name] }
}

/// ISO 8601 times as Ashby wants them: UTC with milliseconds and `Z`.
public enum Timestamps {
  /// Parses a time with `Z` or an offset; a time without a zone is nil.
  public static func parse(_ s: String) -> Date? {
    let withFraction = ISO8601DateFormatter()
    withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    let plain = ISO8601DateFormatter()
    plain.formatOptions = [.withInternetDateTime]
    guard hasZone(s) else { return nil }
    return withFraction.date(from: s) ?? plain.date(from: s)
  }

  public static func format(_ d: Date) -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    f.timeZone = TimeZone(identifier: "UTC")
    return f.string(from: d)
  }

  /// The time in UTC `Z` form, or nil when it does not parse or has no zone.
  public static func utc(_ s: String) -> String? { parse(s).map(format) }

  static func hasZone(_ s: String) -> Bool {
    guard let t = s.firstIndex(of: "T") else { return false }
    let time = s[t...]
    return time.hasSuffix("Z") || time.hasSuffix("z") || time.dropFirst().contains("+")
      || time.dropFirst().contains("-")
  }
}
