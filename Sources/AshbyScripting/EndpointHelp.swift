import AshbyCatalog

/// `ashby.help("offer.create")` and `ashby.help("endpoints")`, from the catalog.
enum EndpointHelp {
  static func text(_ endpoint: Endpoint) -> String {
    let returns = endpoint.results.map(EndpointStubs.resultType) ?? "any"
    var out = "ashby.call(\"\(endpoint.name)\", params) -> \(returns), page\n"
    out += "  \(endpoint.access == .read ? "Reads" : "Writes (recorded, not sent, under --dry-run)")"
    out += "; permission: \(endpoint.permission ?? "none stated")"
    switch endpoint.paging {
    case .none where endpoint.isList: out += "; a list: ashby.pages(\"\(endpoint.name)\", params) (one request)\n"
    case .none: out += "\n"
    case .cursor: out += "; pages: ashby.pages(\"\(endpoint.name)\", params)\n"
    case .sync: out += "; pages and syncs: ashby.pages(\"\(endpoint.name)\", { sync_token = ... })\n"
    }
    if let object = endpoint.resultObject { out += "  Results: \(returns); ashby.help(\"\(object)\") lists its fields\n" }
    if endpoint.multipart { out += "  A file upload: ashby.call cannot send it.\n" }
    let fields = endpoint.request.fields
    if fields.isEmpty && !endpoint.request.isOpen { return out + "  Parameters: none" }
    out += "  Parameters (snake_case or camelCase):\n"
    out += lines(endpoint.request, indent: "    ")
    let sets = endpoint.request.requiredSets
    if sets.count > 1 {
      out += "  Give one of: " + sets.map { $0.map(Field.snake).joined(separator: " + ") }.joined(separator: "; ") + "\n"
    }
    return String(out.dropLast())
  }

  /// One line per field, nested objects indented under their field.
  static func lines(_ shape: Shape, indent: String) -> String {
    if shape.isOpen { return "\(indent)(any fields)\n" }
    let width = min(32, shape.fields.map(\.snakeName.count).max() ?? 0)
    var out = ""
    for field in shape.fields {
      let mark = field.required ? "required" : inSomeSet(field.name, shape) ? "see below" : "optional"
      let name = field.snakeName.padding(toLength: max(width, field.snakeName.count), withPad: " ", startingAt: 0)
      out += "\(indent)\(name)  \(mark.padding(toLength: 9, withPad: " ", startingAt: 0))  \(typeText(field.type))\n"
      if let nested = nestedShape(field.type), !nested.isOpen, !nested.fields.isEmpty {
        out += lines(nested, indent: indent + "  ")
      }
    }
    return out
  }

  static func inSomeSet(_ name: String, _ shape: Shape) -> Bool {
    shape.requiredSets.count > 1 && shape.requiredSets.contains { $0.contains(name) }
  }

  static func nestedShape(_ type: FieldType) -> Shape? {
    switch type {
    case .object(let shape): return shape
    case .array(let item): return nestedShape(item)
    default: return nil
    }
  }

  static func typeText(_ type: FieldType) -> String {
    switch type {
    case .id: return "string (id)"
    case .time: return "string (ISO 8601 time)"
    case .epochMilliseconds: return "integer (milliseconds since the epoch) or string (ISO 8601 time)"
    case .object(let s) where s.isOpen: return "table (any fields)"
    case .array(.object): return "table[] (each:)"
    case .object: return "table:"
    default:
      let name = type.luaName
      return name.count > 100 ? "\(name.prefix(100))..." : name
    }
  }

  /// An object of Ashby's answers: its fields and what each holds.
  static func text(_ object: ResponseObject) -> String {
    var out = "\(object.name): an object in Ashby's answers (result tables raise for a field not listed here)\n"
    if object.isOpen { return out + "  any fields (the spec lists none)\n" }
    let width = min(object.fields.map(\.name.count).max() ?? 0, 32)
    for (name, type) in object.fields {
      out += "  \(name.padding(toLength: max(width, name.count), withPad: " ", startingAt: 0))  \(EndpointStubs.resultType(type))\n"
    }
    return out
  }

  static func objectList() -> String {
    "Every object in Ashby's answers (ashby.help(\"Application\") for its fields):\n  "
      + Catalog.objects.map(\.name).joined(separator: ", ") + "\n"
  }

  static func list() -> String {
    var out = "Every Ashby endpoint (ashby.help(\"name\") for its fields; R reads, W writes):\n"
    var category: Substring = ""
    for endpoint in Catalog.endpoints {
      if endpoint.category != category {
        category = endpoint.category
        out += "  \(category)\n"
      }
      out += "    \(endpoint.access == .read ? "R" : "W") \(endpoint.name)  \(endpoint.permission ?? "")\n"
    }
    return String(out.dropLast())
  }
}
