import AshbyJSON
import AshbyPaths
import Foundation

/// What `hook register` made in Ashby, kept in
/// `$XDG_CONFIG_HOME/ashby-lua/hooks/`: `NAME.json` (the URL and the
/// webhooks' ids) and `NAME.secret` (the secret token, mode 0600, for
/// `secret_command = "cat …"`). Ashby has no way to list webhooks, so this is
/// how `hook list` and `hook unregister` find them.
public struct HookRegistration: Equatable, Sendable {
  public var name: String
  public var url: String
  /// Webhook id → its `webhookType` (Ashby keeps one type per webhook).
  public var webhooks: [(id: String, type: String)]

  public init(name: String, url: String, webhooks: [(id: String, type: String)]) {
    self.name = name
    self.url = url
    self.webhooks = webhooks
  }

  public static func == (a: HookRegistration, b: HookRegistration) -> Bool {
    a.name == b.name && a.url == b.url && a.webhooks.map(\.id) == b.webhooks.map(\.id)
  }

  public static var folder: String { UserFolders.config() + "/hooks" }
  public static func recordPath(_ name: String) -> String { folder + "/\(name).json" }
  public static func secretPath(_ name: String) -> String { folder + "/\(name).secret" }

  public struct Failure: Error, CustomStringConvertible {
    public var description: String
  }

  public static func load(_ name: String) throws -> HookRegistration? {
    let path = recordPath(name)
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    guard let data = FileManager.default.contents(atPath: path), data.count < 1 << 20,
      let json = try? JSONValue.decode(data), let url = json["url"]?.string, let list = json["webhooks"]?.array
    else { throw Failure(description: "\(path) is not a hook registration; remove it to register again") }
    let webhooks = list.compactMap { w -> (id: String, type: String)? in
      guard let id = w["id"]?.string, let type = w["type"]?.string else { return nil }
      return (id, type)
    }
    return HookRegistration(name: name, url: url, webhooks: webhooks)
  }

  public static func all() throws -> [HookRegistration] {
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
      .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    return try names.compactMap(load)
  }

  /// Writes the record and the secret, owner-only.
  public func save(secret: String) throws {
    try PrivateFile.folder(Self.folder)
    let record = JSONValue.object([
      "name": .string(name), "url": .string(url),
      "webhooks": .array(webhooks.map { .object(["id": .string($0.id), "type": .string($0.type)]) }),
    ])
    try PrivateFile.write(Data(secret.utf8), to: Self.secretPath(name))
    try PrivateFile.write(record.encoded(), to: Self.recordPath(name))
  }

  public static func remove(_ name: String) {
    try? FileManager.default.removeItem(atPath: recordPath(name))
    try? FileManager.default.removeItem(atPath: secretPath(name))
  }

  /// The stored secret, if `hook register` made one.
  public static func secret(_ name: String) -> String? {
    FileManager.default.contents(atPath: secretPath(name)).map {
      String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }.flatMap { $0.isEmpty ? nil : $0 }
  }

  /// How a secret may be shown: its first four characters only.
  public static func hint(_ secret: String) -> String { String(secret.prefix(4)) + "…" }
}
