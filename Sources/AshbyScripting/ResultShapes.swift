import AshbyCatalog
import AshbyKit
import LuaHost

/// What the prelude needs to make result tables strict (DESIGN.md §2): for an
/// endpoint or an action, the object its results hold, and for an object, its
/// fields from Ashby's OpenAPI description. Asked for by name, on first use,
/// so a run pays only for the objects it meets.
enum ResultShapes {
  /// What the six actions return, as objects the catalog knows (their
  /// endpoints' results), and `list_jobs`' own wrapper.
  static let actionResults: [String: String] = Dictionary(
    uniqueKeysWithValues: Actions.all.map { ($0.name, $0.returns) })

  /// Objects of ours that wrap the catalog's.
  static let ownObjects: [String: [(name: String, type: String)]] = ["JobList": [("jobs", "[Job]")]]

  static func register(ctx: LuaContext, strict: Bool) {
    ctx.setGlobal("ashby_private.strict_results", .boolean(strict))
    guard strict else { return }
    ctx.installAfter(at: "ashby_private.after")
    ctx.setGlobal("ashby_private.action_results", .object(actionResults.mapValues { .string($0) }))
    // The object `results` holds for an endpoint (`Application` for
    // `application.list` too), or nil where the catalog knows none.
    ctx.register("ashby_private.result_object") { stack in
      stack.push(stack.string(at: 1).flatMap { Catalog.endpoint($0)?.resultObject }.map(LuaValue.string) ?? .nil)
      return 1
    }
    ctx.register("ashby_private.is_object") { stack in
      stack.push(.boolean(stack.string(at: 1).flatMap(fields(of:)) != nil))
      return 1
    }
    // An object's fields: each maps to the object it holds (or holds a list
    // of), or to false for a plain value. nil: unknown or open (any field goes).
    ctx.register("ashby_private.object_fields") { stack in
      guard let name = stack.string(at: 1), let fields = fields(of: name), !fields.isEmpty else {
        stack.push(.nil)
        return 1
      }
      var table: [String: LuaValue] = [:]
      for (field, type) in fields {
        table[field] = ResponseObject.objectName(in: type).map(LuaValue.string) ?? .boolean(false)
      }
      stack.push(.object(table))
      return 1
    }
  }

  /// The fields of a catalog object, or of one of ours.
  static func fields(of name: String) -> [(name: String, type: String)]? {
    ownObjects[name] ?? Catalog.object(name)?.fields
  }
}
