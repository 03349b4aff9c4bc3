import AshbyJSON
import Foundation

/// Where people's data sits in Ashby's JSON, so a cassette can be committed:
/// names, email addresses, phone numbers and the URLs of resumes and profiles.
/// Each value found is replaced by a stand-in (`Person 3`, `person-3@example.invalid`);
/// the same value gets the same stand-in within one recording, so a script
/// replayed from it joins and counts as it did.
///
/// A person is an object with a person's fields (emails, phones, first and last
/// name, a resume), or what Ashby nests under `candidate`. Anything shaped like
/// an email address is replaced wherever it is.
enum PersonalData {
  enum Kind: CaseIterable {
    case name, firstName, lastName, email, phone, url
  }

  /// The stand-ins handed out so far, by kind and original value.
  struct StandIns {
    var given: [Kind: [String: String]] = [:]
    /// Numbers already taken per kind (by an earlier recording into the same cassette).
    var taken: [Kind: Int] = [:]

    /// The stand-in a value was given already, of any kind.
    func known(_ value: String) -> String? {
      for kind in Kind.allCases { if let made = given[kind]?[value] { return made } }
      return nil
    }

    mutating func standIn(for value: String, _ kind: Kind) -> String {
      if let known = given[kind]?[value] { return known }
      let n = (given[kind]?.count ?? 0) &+ min(taken[kind] ?? 0, 1_000_000_000) &+ 1
      let made =
        switch kind {
        case .name: "Person \(n)"
        case .firstName: "First\(n)"
        case .lastName: "Last\(n)"
        case .email: "person-\(n)@example.invalid"
        case .phone: "+1555010" + String(format: "%04d", n)
        case .url: "https://redacted.example.invalid/\(n)"
        }
      given[kind, default: [:]][value] = made
      return made
    }
  }

  /// Fields that make an object a person's.
  static let personFields: Set<String> = [
    "primaryEmailAddress", "emailAddresses", "phoneNumbers", "primaryPhoneNumber", "firstName", "lastName",
    "resumeFileHandle", "socialLinks", "email", "emailAddress", "phoneNumber",
  ]
  static let nameFields: [String: Kind] = ["name": .name, "firstName": .firstName, "lastName": .lastName, "preferredName": .name]
  static let phoneFields: Set<String> = ["phoneNumber", "phone"]
  /// Lists and objects whose URLs lead to a person's files or profiles.
  static let fileFields: Set<String> = ["resumeFileHandle", "fileHandles", "socialLinks"]
  static let urlFields: Set<String> = ["resumeUrl", "linkedInUrl", "githubUrl", "websiteUrl", "url"]

  /// Endpoints whose whole answer is a link to a person's file (`file.info`: a resume's download URL).
  static let fileEndpoints: Set<String> = ["file.info"]

  /// `value`, an answer of `endpoint`, with every person's datum passed through `replace` (to its stand-in).
  static func redact(_ value: JSONValue, endpoint: String, _ replace: (Kind, String) -> String) -> JSONValue {
    walk(value, person: false, files: fileEndpoints.contains(endpoint), phones: false, replace)
  }

  /// Every string leaf of `value` passed through `replace`.
  static func mapStrings(_ value: JSONValue, _ replace: (String) -> String) -> JSONValue {
    switch value {
    case .string(let s): .string(replace(s))
    case .array(let items): .array(items.map { mapStrings($0, replace) })
    case .object(let members): .object(members.mapValues { mapStrings($0, replace) })
    default: value
    }
  }

  /// Fields named like secrets (`secretToken`, `password`, an API key), as the audit log judges them.
  static func isSecret(_ key: String) -> Bool {
    let lower = key.lowercased()
    return lower.contains("secret") || lower.contains("password") || lower == "apikey" || lower == "api_key"
      || lower == "token" || lower.hasSuffix("accesstoken")
  }

  /// `value` with every secret field's value as `[secret]`.
  static func maskSecrets(_ value: JSONValue) -> JSONValue {
    switch value {
    case .array(let items): .array(items.map(maskSecrets))
    case .object(let members):
      .object(Dictionary(uniqueKeysWithValues: members.map { key, member in
        (key, isSecret(key) && member != .null ? .string("[secret]") : maskSecrets(member))
      }))
    default: value
    }
  }

  /// The highest stand-in number of each kind in `value` (a cassette recorded into again continues after them).
  static func taken(in value: JSONValue, into taken: inout [Kind: Int]) {
    switch value {
    case .string(let s):
      let patterns: [(Kind, String, String)] = [
        (.name, "Person ", ""), (.firstName, "First", ""), (.lastName, "Last", ""),
        (.email, "person-", "@example.invalid"), (.url, "https://redacted.example.invalid/", ""),
      ]
      for (kind, prefix, suffix) in patterns where s.hasPrefix(prefix) && s.hasSuffix(suffix) {
        if let n = Int(s.dropFirst(prefix.count).dropLast(suffix.count)), n < 1_000_000_000 { taken[kind] = max(taken[kind] ?? 0, n) }
      }
      if s.hasPrefix("+1555010"), let n = Int(s.dropFirst(8)), n < 1_000_000_000 { taken[.phone] = max(taken[.phone] ?? 0, n) }
    case .array(let items): for item in items { Self.taken(in: item, into: &taken) }
    case .object(let members): for member in members.values { Self.taken(in: member, into: &taken) }
    default: break
    }
  }

  /// Email addresses in text that is not JSON (an error page).
  static func redactText(_ text: String, _ replace: (Kind, String) -> String) -> String {
    var out = text
    for word in Set(text.split(whereSeparator: { $0.isWhitespace || "\"'<>(),;".contains($0) })) where isEmail(word) {
      out = out.replacingOccurrences(of: String(word), with: replace(.email, String(word)))
    }
    return out
  }

  static func isEmail<S: StringProtocol>(_ s: S) -> Bool {
    guard let at = s.firstIndex(of: "@"), at > s.startIndex, !s.contains(where: \.isWhitespace) else { return false }
    let domain = s[s.index(after: at)...]
    return domain.contains(".") && !domain.hasPrefix(".") && !domain.hasSuffix(".") && !domain.contains("@")
  }

  /// - Parameters: person: inside a person's object; files: inside their files or links; phones: inside their phone numbers.
  private static func walk(
    _ value: JSONValue, person: Bool, files: Bool, phones: Bool, _ replace: (Kind, String) -> String
  ) -> JSONValue {
    switch value {
    case .string(let s):
      if isEmail(s) { return .string(replace(.email, s)) }
      if files && (s.hasPrefix("http://") || s.hasPrefix("https://")) { return .string(replace(.url, s)) }
      return value
    case .array(let items):
      return .array(items.map { walk($0, person: person, files: files, phones: phones, replace) })
    case .object(let members):
      let isPerson = !Set(members.keys).isDisjoint(with: personFields)
      var out: [String: JSONValue] = [:]
      for (key, member) in members {
        guard case .string(let text) = member else {
          out[key] = walk(
            member, person: key == "candidate" || key == "candidates", files: files || fileFields.contains(key),
            phones: key == "phoneNumbers" || key == "primaryPhoneNumber", replace)
          continue
        }
        if isPerson || person, let kind = nameFields[key] {
          out[key] = .string(replace(kind, text))
        } else if phones && key == "value" || phoneFields.contains(key) {
          out[key] = .string(replace(.phone, text))
        } else if (isPerson || files) && urlFields.contains(key) || files && key == "handle" {
          out[key] = .string(replace(.url, text))
        } else {
          out[key] = walk(member, person: false, files: files, phones: false, replace)
        }
      }
      return .object(out)
    default:
      return value
    }
  }
}
