import AshbyJSON
import AshbyKit
import Foundation

/// A plan (docs/plans.md): the writes a script would make, saved by `run --plan` (or made by `undo`) to be
/// read by a person and applied exactly, once, by `apply`, without running the script again.
public struct Plan: Sendable, Equatable {
  /// What the file says it is, so a file that is not a plan is told apart from a damaged one.
  public static let format = "ashby-lua plan 1"

  public var id: String
  public var createdAt: Date
  /// Where it was planned: `apply` refuses another Ashby unless told with `--base-url`.
  public var baseURL: String
  /// The key's title (`apiKey.info`), so a person sees which account planned it.
  public var keyTitle: String?
  public var apiVersion: String
  /// The user the writes were to be made as (`--on-behalf-of`), which `apply` keeps unless told another.
  public var onBehalfOf: String?
  public var script: Script?
  public var steps: [PlanStep]
  /// For a plan `undo` made: the run (or plan) it undoes, and the writes that cannot be undone.
  public var undoes: String?
  public var cannotUndo: [Irreversible]

  public struct Script: Sendable, Equatable {
    public var path: String
    public var sha256: String?
    public var args: [String]
    public init(path: String, sha256: String?, args: [String]) {
      (self.path, self.sha256, self.args) = (path, sha256, args)
    }
  }

  /// A write of the undone run that `undo` cannot put back, and why.
  public struct Irreversible: Error, Sendable, Equatable {
    public var endpoint: String
    public var objectID: String?
    public var reason: String
    public init(endpoint: String, objectID: String?, reason: String) {
      (self.endpoint, self.objectID, self.reason) = (endpoint, objectID, reason)
    }
  }

  public init(
    id: String = Plan.newID(), createdAt: Date = Date(), baseURL: String, keyTitle: String?, apiVersion: String,
    script: Script?, steps: [PlanStep], undoes: String? = nil, cannotUndo: [Irreversible] = []
  ) {
    self.id = id
    self.createdAt = createdAt
    self.baseURL = baseURL
    self.keyTitle = keyTitle
    self.apiVersion = apiVersion
    self.script = script
    self.steps = steps
    self.undoes = undoes
    self.cannotUndo = cannotUndo
  }

  /// `plan-` and twelve hex digits.
  public static func newID() -> String {
    "plan-" + String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12)).lowercased()
  }

  /// Whether `text` is a plan id (not a file name).
  public static func isID(_ text: String) -> Bool {
    text.hasPrefix("plan-") && text.count == 17 && text.dropFirst(5).allSatisfy(\.isHexDigit)
  }
}

// MARK: JSON

extension Plan {
  public var json: JSONValue {
    var fields: [String: JSONValue] = [
      "format": .string(Self.format), "id": .string(id), "created_at": .string(Timestamps.format(createdAt)),
      "base_url": .string(baseURL), "key_title": keyTitle.map(JSONValue.string) ?? .null,
      "api_version": .string(apiVersion), "on_behalf_of": onBehalfOf.map(JSONValue.string) ?? .null,
      "writes": .array(steps.enumerated().map { Self.json($1, number: $0 + 1) }),
    ]
    if let script {
      fields["script"] = [
        "path": .string(script.path), "sha256": script.sha256.map(JSONValue.string) ?? .null,
        "args": .array(script.args.map(JSONValue.string)),
      ]
    }
    if let undoes {
      fields["undoes"] = .string(undoes)
      fields["cannot_undo"] = .array(
        cannotUndo.map {
          ["endpoint": .string($0.endpoint), "object_id": $0.objectID.map(JSONValue.string) ?? .null,
           "reason": .string($0.reason)]
        })
    }
    return .object(fields)
  }

  static func json(_ step: PlanStep, number: Int) -> JSONValue {
    var fields: [String: JSONValue] = [
      "step": .int(Int64(number)), "endpoint": .string(step.endpoint), "action": .string(step.action),
      "params": step.params, "target": step.target?.json ?? .null, "before": step.before ?? .null,
    ]
    if let creates = step.creates { fields["creates"] = .string(creates) }
    if let uploadFrom = step.uploadFrom { fields["upload_from"] = .string(uploadFrom) }
    if let after = step.after { fields["after"] = after }
    return .object(fields)
  }

  /// The plan's file: JSON a person can read in a diff, keys sorted.
  public var fileData: Data {
    let compact = json.encoded()
    guard let object = try? JSONSerialization.jsonObject(with: compact),
      let pretty = try? JSONSerialization.data(
        withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    else { return compact }
    return pretty + Data("\n".utf8)
  }

  public struct Unreadable: Error, CustomStringConvertible {
    public var description: String
  }

  public init(json: JSONValue) throws(Unreadable) {
    guard json["format"]?.string == Self.format else {
      throw Unreadable(description: "not an ashby-lua plan (its \"format\" is not \"\(Self.format)\")")
    }
    guard let id = json["id"]?.string, Self.isID(id), let created = json["created_at"]?.string.flatMap(Timestamps.parse),
      let baseURL = json["base_url"]?.string, let version = json["api_version"]?.string,
      let writes = json["writes"]?.array
    else { throw Unreadable(description: "the plan lacks its id, created_at, base_url, api_version or writes") }
    var steps: [PlanStep] = []
    for (index, write) in writes.enumerated() {
      guard let endpoint = write["endpoint"]?.string, AshbyClient.isEndpointName(endpoint),
        let params = write["params"], params.object != nil
      else { throw Unreadable(description: "write \(index + 1) lacks its endpoint or params") }
      var step = PlanStep(
        endpoint: endpoint, params: params, action: write["action"]?.string ?? endpoint,
        target: WriteTarget(json: write["target"]), before: Self.given(write["before"]),
        creates: write["creates"]?.string, uploadFrom: write["upload_from"]?.string)
      if write["target"] == nil || write["target"] == .null { step.target = nil }
      step.after = Self.given(write["after"])
      steps.append(step)
    }
    var script: Script?
    if let path = json["script"]?["path"]?.string {
      script = Script(
        path: path, sha256: json["script"]?["sha256"]?.string,
        args: json["script"]?["args"]?.array?.compactMap(\.string) ?? [])
    }
    let cannot = (json["cannot_undo"]?.array ?? []).map {
      Irreversible(
        endpoint: $0["endpoint"]?.string ?? "", objectID: $0["object_id"]?.string, reason: $0["reason"]?.string ?? "")
    }
    self.init(
      id: id, createdAt: created, baseURL: baseURL, keyTitle: json["key_title"]?.string, apiVersion: version,
      script: script, steps: steps, undoes: json["undoes"]?.string, cannotUndo: cannot)
    onBehalfOf = json["on_behalf_of"]?.string
  }

  /// A member that is there and not null (JSONValue takes `nil` as its own null: spelled out here).
  static func given(_ value: JSONValue?) -> JSONValue? {
    guard let value, value != .null else { return Optional.none }
    return value
  }

  public init(data: Data) throws(Unreadable) {
    let value: JSONValue
    do {
      value = try JSONValue.decode(data)
    } catch {
      throw Unreadable(description: "not JSON: \(error)")
    }
    try self.init(json: value)
  }
}
