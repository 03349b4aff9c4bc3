import AshbyJSON

/// The object a write changes, and what of it the write changes: read before a write (the plan's and the
/// audit log's before-image), read again before `apply` sends it (drift), read to tell whether a write whose
/// answer was lost went through, and turned around by `undo`. One table for all four, so they agree.
public struct WriteTarget: Sendable, Equatable {
  /// `application`, `candidate`, `job`.
  public var type: String
  public var id: String

  public init(type: String, id: String) {
    self.type = type
    self.id = id
  }

  public var json: JSONValue { ["type": .string(type), "id": .string(id)] }

  public init?(json: JSONValue?) {
    guard let type = json?["type"]?.string, let id = json?["id"]?.string else { return nil }
    self.init(type: type, id: id)
  }

  /// The read that returns the object.
  var read: (endpoint: String, params: JSONValue) {
    switch type {
    case "application": return ("application.info", ["applicationId": .string(id)])
    case "job": return ("job.info", ["jobId": .string(id)])
    default: return ("candidate.info", ["id": .string(id)])
    }
  }
}

/// Per write endpoint: its target, and the fields of the target it changes.
public enum WriteTargets {
  /// Which parameter names the object, and of what type, for each write endpoint that changes or adds to one.
  static let targets: [String: (type: String, parameter: String)] = [
    "application.changeStage": ("application", "applicationId"),
    "application.changeSource": ("application", "applicationId"),
    "application.update": ("application", "applicationId"),
    "candidate.update": ("candidate", "candidateId"),
    "candidate.createNote": ("candidate", "candidateId"),
    "candidate.addTag": ("candidate", "candidateId"),
    "candidate.uploadResume": ("candidate", "candidateId"),
    "application.create": ("candidate", "candidateId"),
    "interviewSchedule.create": ("application", "applicationId"),
    "job.setStatus": ("job", "jobId"),
  ]

  /// The object `endpoint` writes to, when the params name one.
  public static func target(of endpoint: String, _ params: JSONValue) -> WriteTarget? {
    if endpoint == "customField.setValue", let id = params["objectId"]?.string {
      return WriteTarget(type: (params["objectType"]?.string ?? "Candidate").lowercased(), id: id)
    }
    guard let known = targets[endpoint], let id = params[known.parameter]?.string else { return nil }
    return WriteTarget(type: known.type, id: id)
  }

  /// Whether the write changes fields it can be read back for (and so has a before-image and an undo).
  public static func changesFields(_ endpoint: String) -> Bool {
    ["application.changeStage", "application.changeSource", "application.update", "candidate.update", "job.setStatus",
     "customField.setValue"].contains(endpoint)
  }

  /// What `endpoint` with `params` changes of `object` (as its `info` read returns it), as it is now.
  public static func image(_ endpoint: String, _ params: JSONValue, of object: JSONValue) -> JSONValue? {
    switch endpoint {
    case "application.changeStage": return applicationStage(object)
    case "application.changeSource": return ["source_id": object["source"]?["id"] ?? object["sourceId"] ?? .null]
    case "job.setStatus": return ["status": object["status"] ?? .null]
    case "customField.setValue":
      let field = object["customFields"]?.array?.first { $0["id"] == params["fieldId"] }
      return ["value": field?["value"] ?? .null]
    case "application.update", "candidate.update":
      // Only the fields the object shows by the param's name: one it names otherwise (`email`, shown as
      // `primaryEmailAddress`) has no before-image, and its write no way back (`undo` says so).
      var fields: [String: JSONValue] = [:]
      for name in changedFields(endpoint, params) { if let value = object[name] { fields[name] = value } }
      return .object(fields)
    default: return nil
    }
  }

  /// An application's stage as a stage change's before-image.
  public static func applicationStage(_ application: JSONValue) -> JSONValue {
    [
      "stage": application["currentInterviewStage"]?["title"] ?? .null,
      "stage_id": application["currentInterviewStage"]?["id"] ?? .null,
      "status": application["status"] ?? .null,
      "archive_reason": application["archiveReason"]?["text"] ?? .null,
      "archive_reason_id": application["archiveReason"]?["id"] ?? .null,
    ]
  }

  /// The fields an update sets: every parameter but the one naming the object and those that only say
  /// how to send it.
  public static func changedFields(_ endpoint: String, _ params: JSONValue) -> [String] {
    let idName = targets[endpoint]?.parameter
    return (params.object ?? [:]).keys.filter { $0 != idName && !notFields.contains($0) }.sorted()
  }

  /// Parameters of an update that change no field of the object.
  static let notFields: Set<String> = ["sendNotifications"]

  /// Fields of a before-image a person reads but a check does not compare: a stage or a reason renamed is
  /// not a change to the application.
  static let shownOnly: Set<String> = ["stage", "archive_reason"]

  /// What the object shows once the write has landed, in the image's terms: `apply` compares it with a
  /// fresh read to learn whether a write whose answer was lost went through.
  public static func after(_ endpoint: String, _ params: JSONValue) -> JSONValue? {
    switch endpoint {
    case "application.changeStage": return ["stage_id": params["interviewStageId"] ?? .null]
    case "application.changeSource": return ["source_id": params["sourceId"] ?? .null]
    case "job.setStatus": return ["status": params["status"] ?? .null]
    case "customField.setValue": return ["value": params["fieldValue"] ?? .null]
    case "application.update", "candidate.update":
      var fields: [String: JSONValue] = [:]
      for name in changedFields(endpoint, params) { fields[name] = params[name] ?? .null }
      return .object(fields)
    default: return nil
    }
  }

  /// Whether `image` shows every field of `expected` as it says. Fields `expected` lacks, and those for a
  /// person only (`shownOnly`), are not looked at; numbers compare by value (`5` is `5.0`).
  public static func shows(_ image: JSONValue, _ expected: JSONValue) -> Bool {
    differences(image, from: expected).isEmpty
  }

  /// The fields of `image` that differ from `expected`, for a person: `stage_id is "stg-2" (planned on "stg-1")`.
  public static func differences(_ image: JSONValue, from expected: JSONValue) -> [String] {
    (expected.object ?? [:]).sorted { $0.key < $1.key }.compactMap { name, value in
      let now = image[name] ?? .null
      guard !shownOnly.contains(name), !same(now, value) else { return nil }
      return "\(name) is \(shown(now)) (planned on \(shown(value)))"
    }
  }

  static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
    if let x = a.number, let y = b.number { return x == y }
    return a == b
  }

  public static func shown(_ value: JSONValue) -> String {
    value.string.map { "\"\($0)\"" } ?? String(decoding: value.encoded(), as: UTF8.self)
  }
}

extension AshbyClient {
  /// The object `target` as it is now; nil when Ashby says it is gone.
  public func read(_ target: WriteTarget) async throws(AshbyError) -> JSONValue? {
    let (endpoint, params) = target.read
    do {
      return try await call(endpoint, params)
    } catch where error.code?.hasSuffix("_not_found") == true || error.status == 404 {
      return nil
    }
  }

  /// The before-image of a write about to go out, read for it (one read), when the write changes fields.
  func beforeImage(_ endpoint: String, _ params: JSONValue) async -> JSONValue? {
    guard WriteTargets.changesFields(endpoint), let target = WriteTargets.target(of: endpoint, params),
      let object = try? await read(target)
    else { return nil }
    return WriteTargets.image(endpoint, params, of: object)
  }
}
