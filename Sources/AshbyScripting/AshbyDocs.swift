import AshbyCatalog
import AshbyKit
import AshbyStdlib

/// What `ashby.help` knows, for readers outside a VM (the MCP server's
/// `describe` and `search_endpoints`): one source for the REPL and an agent.
public enum AshbyDocs {
  /// `ashby.help(name)`'s text: an action, a function, a module, an endpoint or an object.
  public static func describe(_ name: String) -> String { HelpText.text(for: name) }

  /// The `ashby` table in short: the actions, the functions, the modules.
  public static var guide: String { HelpText.overview() }

  /// The LuaLS stubs of the `ashby` table.
  public static var stubs: String { AshbyStdlib.stubs }

  /// One match of `search`: a name, whether it reads or writes, and a line about it.
  public struct Match: Sendable, Equatable {
    public var name: String
    public var kind: String
    public var writes: Bool
    public var summary: String
  }

  /// Actions and endpoints whose name, summary or permission holds every word of `query` (any case).
  public static func search(_ query: String, limit: Int = 50) -> [Match] {
    let words = query.lowercased().split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
    func matches(_ text: String) -> Bool {
      let lower = text.lowercased()
      return words.allSatisfy { lower.contains($0) }
    }
    var out: [Match] = []
    for spec in Actions.all where matches("\(spec.name) \(spec.summary) \(spec.endpoints.joined(separator: " "))") {
      out.append(Match(name: "ashby.\(spec.name)", kind: "action", writes: spec.endpoints.contains(where: Catalog.isWrite), summary: spec.summary))
    }
    for endpoint in Catalog.endpoints where matches("\(endpoint.name) \(endpoint.permission ?? "") \(endpoint.access == .read ? "read" : "write")") {
      let what = endpoint.access == .read ? "reads" : "writes"
      out.append(
        Match(
          name: endpoint.name, kind: "endpoint", writes: endpoint.access != .read,
          summary: "\(what); permission \(endpoint.permission ?? "none stated")\(endpoint.paging == .none ? "" : "; pages")"))
    }
    return Array(out.prefix(limit))
  }
}
