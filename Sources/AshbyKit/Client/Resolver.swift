import AshbyJSON
import Foundation

/// Name → id lookups (sources, departments, locations, interview stages),
/// cached per client: these lists change rarely and every script needs them.
actor Resolver {
  private var lists: [String: [JSONValue]] = [:]

  /// The cached list for `key`, loading it once.
  func list(_ key: String, load: @Sendable () async throws(AshbyError) -> [JSONValue]) async throws(AshbyError)
    -> [JSONValue]
  {
    if let cached = lists[key] { return cached }
    let loaded = try await load()
    lists[key] = loaded
    return loaded
  }

  /// Drops every cached list (a test's fresh fake Ashby has other ones).
  func forget() { lists.removeAll() }

  /// Resolves `input` (an id, or a name matched case-insensitively) among `items`.
  /// - Throws: an argument error naming the choices when nothing or more than one matches.
  nonisolated static func resolve(
    _ input: String, among items: [JSONValue], nameKey: String, what: String, parameter: String
  ) throws(AshbyError) -> String {
    if items.contains(where: { $0["id"]?.string == input }) { return input }
    let wanted = input.lowercased().trimmingCharacters(in: .whitespaces)
    let matches = items.filter { ($0[nameKey]?.string?.lowercased() ?? "") == wanted }
    let names = items.compactMap { $0[nameKey]?.string }
    if matches.count == 1, let id = matches[0]["id"]?.string { return id }
    if matches.isEmpty {
      throw AshbyError.argument(
        parameter, "unknown \(what) \"\(input)\"; choices: \(choices(names))")
    }
    let ids = matches.compactMap { $0["id"]?.string }.joined(separator: ", ")
    throw AshbyError.argument(
      parameter, "\(what) \"\(input)\" is ambiguous (\(matches.count) match: \(ids)); pass an id instead")
  }

  nonisolated static func choices(_ names: [String]) -> String {
    let shown = names.prefix(25).map { "\"\($0)\"" }.joined(separator: ", ")
    return names.isEmpty ? "(none)" : (names.count > 25 ? shown + ", …" : shown)
  }
}
