/// What an action takes, calls and returns: the one source for argument
/// checking, help text and editor type stubs.
public struct ActionSpec: Sendable {
  public enum ParameterType: String, Sendable {
    case string, id, email, time, url
    /// A string or a list of strings.
    case stringOrList = "string|string[]"
  }

  public struct Parameter: Sendable {
    public var name: String
    public var type: ParameterType
    public var required: Bool
    public var doc: String
  }

  public var name: String
  public var summary: String
  public var parameters: [Parameter]
  /// Groups of which exactly one must be given (`stage_id` or `stage`).
  public var oneOf: [[String]] = []
  /// A single positional argument that stands for this parameter (`get_job("id")`).
  public var positional: String?
  public var endpoints: [String]
  public var permissions: [String]
  /// The Ashby object returned (a LuaLS class name in the stubs).
  public var returns: String
  public var example: String

  public func parameter(_ name: String) -> Parameter? { parameters.first { $0.name == name } }
}

extension ActionSpec.Parameter {
  static func required(_ name: String, _ type: ActionSpec.ParameterType, _ doc: String) -> Self {
    Self(name: name, type: type, required: true, doc: doc)
  }
  static func optional(_ name: String, _ type: ActionSpec.ParameterType, _ doc: String) -> Self {
    Self(name: name, type: type, required: false, doc: doc)
  }
}
