import AshbyJSON

/// One of the six actions as a value: what it takes, whether it writes, how it
/// runs and how a dry run plans it. The one source for argument checking,
/// running, help text and editor type stubs.
public struct ActionSpec: Sendable {
  public enum ParameterType: String, Sendable {
    case string, id, email, time, url
    /// A string or a list of strings.
    case stringOrList = "string|string[]"
    /// A table of named fields (`Parameter.fields`).
    case table
  }

  public struct Parameter: Sendable {
    public var name: String
    public var type: ParameterType
    public var required: Bool
    public var doc: String
    /// The fields of a `.table` parameter.
    public var fields: [Parameter] = []
  }

  /// What running an action gives back: Ashby's text untouched, or a value built here.
  public enum Result: Sendable {
    case text(RawJSON)
    case value(JSONValue)
  }

  public typealias Body = @Sendable (AshbyClient, ActionParams) async throws(AshbyError) -> Result
  public typealias Plan = @Sendable (AshbyClient, ActionParams) async throws(AshbyError) -> JSONValue

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
  /// Runs the action for real.
  let body: Body
  /// For a write: what a dry run does instead (the reads still go out, the
  /// write is recorded and answered with a stand-in). Nil for a read.
  let plan: Plan?

  /// Whether the action changes Ashby's state.
  public var writes: Bool { plan != nil }

  public func parameter(_ name: String) -> Parameter? { parameters.first { $0.name == name } }
}

extension ActionSpec.Parameter {
  static func required(_ name: String, _ type: ActionSpec.ParameterType, _ doc: String) -> Self {
    Self(name: name, type: type, required: true, doc: doc)
  }
  static func optional(_ name: String, _ type: ActionSpec.ParameterType, _ doc: String) -> Self {
    Self(name: name, type: type, required: false, doc: doc)
  }
  static func table(_ name: String, _ doc: String, fields: [Self]) -> Self {
    Self(name: name, type: .table, required: false, doc: doc, fields: fields)
  }
}
