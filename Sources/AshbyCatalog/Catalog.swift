/// What the project knows of every Ashby endpoint, from Ashby's own OpenAPI
/// description: the one source for checking a call before it is sent, for
/// read/write (retries, pacing, dry run, the fake), permissions, help and stubs.
///
/// The data is generated (`Catalog+Endpoints.swift`, by `scripts/endpoint-catalog`);
/// this file is the shape it fills.
public enum Catalog {
  /// The dated API version the catalog describes, sent as `Ashby-Version` unless
  /// another is chosen (`--api-version`, `api_version`).
  public static let apiVersion = "2026-01-01"

  /// Whether `text` can be sent as `X-On-Behalf-Of`: a user id or an email,
  /// printable ASCII without spaces (nothing that could end the header).
  public static func isOnBehalfOf(_ text: String) -> Bool {
    !text.isEmpty && text.utf8.count <= 320 && text.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F }
  }

  /// Whether `text` is a dated version as Ashby writes them (`2026-01-01`).
  public static func isAPIVersion(_ text: String) -> Bool {
    let parts = text.split(separator: "-", omittingEmptySubsequences: false)
    return parts.count == 3 && zip(parts, [4, 2, 2]).allSatisfy { $0.count == $1 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }
  }

  /// Endpoints by name, built on first use.
  static let byName: [String: Endpoint] = Dictionary(generated.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })

  /// Every endpoint, sorted by name.
  public static var endpoints: [Endpoint] { generated }

  public static func endpoint(_ name: String) -> Endpoint? { byName[name] }

  /// The objects of Ashby's answers by name (`Catalog+Objects.swift`).
  static let objectsByName: [String: ResponseObject] = Dictionary(
    generatedObjects.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })

  /// Every object in Ashby's answers, sorted by name.
  public static var objects: [ResponseObject] { generatedObjects }

  public static func object(_ name: String) -> ResponseObject? { objectsByName[name] }

  /// Whether a call may change Ashby's state. An endpoint the catalog does not
  /// know (reachable only with `unchecked`) counts as a write: never retried
  /// after it may have arrived, and recorded rather than sent in a dry run.
  public static func isWrite(_ name: String) -> Bool { byName[name]?.access != .read }
}

public struct Endpoint: Sendable {
  public enum Access: String, Sendable { case read, write }
  /// How the endpoint hands out more than one page.
  public enum Paging: String, Sendable {
    case none
    /// `cursor` / `nextCursor` / `moreDataAvailable`.
    case cursor
    /// Cursor paging plus `syncToken` for incremental changes.
    case sync
  }

  public let name: String
  public let access: Access
  /// The permission Ashby checks, e.g. `candidatesWrite` (nil for the partner-side assessment endpoints).
  public let permission: String?
  public let paging: Paging
  /// A file upload (`multipart/form-data`): JSON calls cannot send it.
  public let multipart: Bool
  /// What `results` holds: an object's name (`Application`), `[Application]`
  /// for a list of them, or a plain type; nil where the spec says nothing.
  public let results: String?
  public let request: Shape

  init(
    _ name: String, _ access: Access, permission: String?, paging: Paging, multipart: Bool = false,
    results: String? = nil, request: Shape
  ) {
    self.name = name
    self.access = access
    self.permission = permission
    self.paging = paging
    self.multipart = multipart
    self.results = results
    self.request = request
  }

  /// `results` is a list: `ashby.pages` iterates it (in one request where there is no cursor).
  public var isList: Bool { results?.hasPrefix("[") == true }

  /// The object `results` holds, or holds a list of (`Application` for both).
  public var resultObject: String? {
    guard let results, case let name = results.trimmingCharacters(in: ["[", "]"]), Catalog.object(name) != nil
    else { return nil }
    return name
  }

  public var category: Substring { name.prefix { $0 != "." } }
}

/// An object in Ashby's answers, as the spec describes it: the fields it may
/// have. Result tables are strict against it (a typo raises, a known field
/// that the answer left out is nil).
public struct ResponseObject: Sendable {
  /// `Application`; a nested object the spec defines in place is `Application.candidate`.
  public let name: String
  /// Each field, with what it holds: an object's name, `[name]` for a list, or
  /// a Lua type (`string`, `integer`, `number`, `boolean`, `any`, or a union of them).
  public let fields: [(name: String, type: String)]

  init(_ name: String, _ fields: [(String, String)]) {
    self.name = name
    self.fields = fields.map { (name: $0.0, type: $0.1) }
  }

  /// The spec lists no field, so any goes.
  public var isOpen: Bool { fields.isEmpty }

  /// The object a field holds, or holds a list of; nil for a plain value.
  public static func objectName(in type: String) -> String? {
    let name = type.trimmingCharacters(in: ["[", "]"])
    return Catalog.object(name) == nil ? nil : name
  }
}

/// The fields of an object, and which of them must be given.
public struct Shape: Sendable {
  public let fields: [Field]
  /// Sets of field names of which one must be given in full (an endpoint that
  /// takes `id` or `externalMappingId` has two). Empty: nothing is required.
  public let requiredSets: [[String]]
  /// Any field is accepted (the spec gives none).
  public let isOpen: Bool

  init(_ fields: [Field], requiredSets: [[String]]? = nil) {
    self.fields = fields
    let always = fields.filter(\.required).map(\.name)
    self.requiredSets = requiredSets ?? (always.isEmpty ? [] : [always])
    self.isOpen = false
  }

  private init(open: Void) {
    (fields, requiredSets, isOpen) = ([], [], true)
  }

  static let open = Shape(open: ())

  public func field(_ name: String) -> Field? { fields.first { $0.name == name } }
}

public struct Field: Sendable {
  public let name: String
  public let type: FieldType
  /// Required in every form of the request (see `Shape.requiredSets` for the others).
  public let required: Bool

  init(_ name: String, _ type: FieldType, required: Bool = false) {
    self.name = name
    self.type = type
    self.required = required
  }

  /// The Lua spelling: `applicationId` → `application_id`.
  public var snakeName: String { Self.snake(name) }

  public static func snake(_ name: String) -> String {
    var out = ""
    for c in name {
      if c.isUppercase {
        out += "_"
        out += c.lowercased()
      } else {
        out.append(c)
      }
    }
    return out
  }
}

public indirect enum FieldType: Sendable {
  case string
  /// A string in Ashby's id format (a UUID).
  case id
  /// An ISO 8601 date and time string.
  case time
  /// An integer of milliseconds since the Unix epoch (`createdAfter`): also
  /// given as an ISO 8601 string, which the check turns into milliseconds.
  case epochMilliseconds
  case integer, number, boolean, null
  case enumeration([String])
  case array(FieldType)
  case object(Shape)
  case union([FieldType])
  case any

  /// The type as the help text and the LuaLS stubs write it.
  public var luaName: String {
    switch self {
    case .string, .id, .time: return "string"
    case .integer: return "integer"
    case .epochMilliseconds: return "integer|string"
    case .number: return "number"
    case .boolean: return "boolean"
    case .null: return "nil"
    case .enumeration(let values): return values.map { "\"\($0)\"" }.joined(separator: "|")
    case .array(let item):
      let inner = item.luaName
      return inner.contains("|") ? "(\(inner))[]" : "\(inner)[]"
    case .object: return "table"
    case .union(let types): return types.map(\.luaName).joined(separator: "|")
    case .any: return "any"
    }
  }
}
