import AshbyCatalog

/// What `apiKey.info` says about a key, and which permission areas that opens.
public struct KeyInfo {
  public var title: String?
  /// Ashby's scopes (`candidates:read`), when it lists them.
  public var scopes: [String]?
  /// The API version Ashby served the check with, and its status (`current`, `deprecated`).
  public var apiVersion: String
  public var apiVersionStatus: String?

  /// Asks Ashby (`apiKey.info`) about the client's key.
  public static func fetch(_ client: AshbyClient) async throws(AshbyError) -> KeyInfo {
    let info = try await client.call("apiKey.info")
    let served = client.versionServed
    return KeyInfo(
      title: info["title"]?.string, scopes: info["scopes"]?.array?.compactMap(\.string),
      apiVersion: served.version ?? client.configuration.apiVersion, apiVersionStatus: served.status)
  }

  /// The permissions the scopes grant, spelled as the catalog spells them (`candidatesRead`).
  public var permissions: Set<String>? {
    scopes.map { scopes in
      Set(
        scopes.compactMap { scope -> String? in
          let parts = scope.split(separator: ":")
          guard parts.count == 2, let level = parts[1].first else { return nil }
          return parts[0] + level.uppercased() + parts[1].dropFirst()
        })
    }
  }

  /// One line per permission area of the catalog: granted or not, and how many endpoints it opens.
  public func permissionReport() -> String {
    guard let granted = permissions else { return "permissions: apiKey.info does not list this key's scopes" }
    var counts: [String: Int] = [:]
    for endpoint in Catalog.endpoints { if let p = endpoint.permission { counts[p, default: 0] += 1 } }
    var out = "permissions (from apiKey.info):"
    let width = counts.keys.map(\.count).max() ?? 0
    for permission in counts.keys.sorted() {
      let mark = granted.contains(permission) ? "yes" : "no "
      out += "\n  \(mark)  \(permission.padding(toLength: width, withPad: " ", startingAt: 0))  "
      out += "\(counts[permission] ?? 0) endpoint\(counts[permission] == 1 ? "" : "s")"
    }
    return out
  }
}
