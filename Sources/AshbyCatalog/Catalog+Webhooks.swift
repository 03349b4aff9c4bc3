/// The webhook types Ashby sends (`webhookType`): those `webhook.create`
/// takes in Ashby's own description, then the newer ones shared/ashby-api.md
/// names. `[[hook]]` tables, the fake and `hook register` read them here.
extension Catalog {
  public static let webhookTypes: [String] = {
    var types: [String] = []
    if let field = endpoint("webhook.create")?.request.fields.first(where: { $0.name == "webhookType" }),
      case .enumeration(let values) = field.type
    {
      types = values
    }
    for newer in ["jobCreate", "jobUpdate", "openingCreate", "signatureRequestUpdate"] where !types.contains(newer) {
      types.append(newer)
    }
    return types
  }()

  /// The types `webhook.create` itself accepts (Ashby's description lists no others).
  public static var registrableWebhookTypes: [String] {
    guard let field = endpoint("webhook.create")?.request.fields.first(where: { $0.name == "webhookType" }),
      case .enumeration(let values) = field.type
    else { return [] }
    return values
  }
}
