import AshbyJSON
import AshbyKit

/// Whether a write whose answer was lost (a crash, a reset connection) went through, asked of Ashby by a
/// read: `apply` resends only a write that surely did not land.
enum WriteCheck {
  enum Answer: Equatable {
    /// It went through; the id of what it created, when it created something.
    case landed(String?)
    case notLanded
    /// No read tells (Ashby lists no such thing to look for).
    case unknown
  }

  static func landed(_ endpoint: String, _ params: JSONValue, target: WriteTarget?, client: AshbyClient)
    async throws(AshbyError) -> Answer
  {
    // A change to fields: the target shows the new values, or it does not.
    if let after = WriteTargets.after(endpoint, params), let target {
      guard let object = try await client.read(target) else { return .notLanded }
      let now = WriteTargets.image(endpoint, params, of: object) ?? .null
      // Only what the object shows can tell (an update's field Ashby names otherwise cannot).
      let shown = (after.object ?? [:]).filter { now[$0.key] != nil }
      guard !shown.isEmpty else { return .unknown }
      return WriteTargets.shows(now, .object(shown)) ? .landed(nil) : .notLanded
    }
    switch endpoint {
    case "candidate.create":
      guard let email = params["email"]?.string, !email.isEmpty else { return .unknown }
      let found = try await client.call("candidate.search", ["email": .string(email)]).array ?? []
      return found.first.map { .landed($0["id"]?.string) } ?? .notLanded
    case "candidate.createNote":
      guard let candidate = params["candidateId"]?.string else { return .unknown }
      let text = params["note"]?.string ?? params["note"]?["value"]?.string
      let notes = try await client.all("candidate.listNotes", ["candidateId": .string(candidate)])
      return notes.contains { $0["content"]?.string == text } ? .landed(nil) : .notLanded
    case "application.create":
      guard let candidate = params["candidateId"]?.string, let job = params["jobId"] else { return .unknown }
      let info = try await client.call("candidate.info", ["id": .string(candidate)])
      for id in info["applicationIds"]?.array?.compactMap(\.string) ?? [] {
        let application = try await client.call("application.info", ["applicationId": .string(id)])
        if (application["job"]?["id"] ?? application["jobId"]) == job { return .landed(id) }
      }
      return .notLanded
    default:
      return .unknown
    }
  }
}
