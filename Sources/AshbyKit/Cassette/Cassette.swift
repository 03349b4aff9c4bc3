import AshbyJSON
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// Recorded exchanges with Ashby, VCR's way: `run --record` writes every
/// request and answer into a file, `run --replay` answers from it with no
/// network and no key, so a run against a real account can be repeated
/// offline forever (docs/testing.md). Requests match on the endpoint and the
/// canonical body: key order and number spelling do not matter. Identical
/// requests are answered in the order they were recorded.
///
/// The key is never written (no request header is). Candidates' personal data
/// in what is written is replaced by stand-ins (`PersonalData`) unless the
/// recording was asked to keep it.
public final class Cassette: Sendable {
  public enum Mode: Sendable, Equatable {
    /// Every exchange goes out and is written down.
    case record
    /// Every answer comes from the file; a request it lacks is an error.
    case replay
    /// Answers from the file; what it lacks goes out and is added (VCR's new_episodes).
    case replayRecordingMissing
  }

  /// One request and its answer, as stored.
  struct Interaction: Codable, Sendable {
    var endpoint: String
    var request: JSONValue
    var status: Int
    /// The answer's headers that change what the client does (`Retry-After`, the version, the request id).
    var headers: [String: String]
    /// The answer as JSON, or `body_text` when it was not JSON.
    var response: JSONValue?
    var bodyText: String?

    enum CodingKeys: String, CodingKey {
      case endpoint, request, status, headers, response
      case bodyText = "body_text"
    }
  }

  struct File: Codable {
    var format: String
    var recordedAt: String
    var redacted: Bool
    /// For values a script sent that Ashby's answers held too (a CSV's email, say): the
    /// salted SHA-256 of each, and its stand-in, so a replay sending the value again matches.
    var salt: String?
    var standIns: [String: String]?
    /// Every person's datum replaced, by its HMAC under this user's `PeopleKey` (not in the file):
    /// a later `--record-missing` session here gives a person met again the same stand-in.
    var people: [String: String]?
    var interactions: [Interaction]

    enum CodingKeys: String, CodingKey {
      case format, interactions, redacted, salt, people
      case recordedAt = "recorded_at"
      case standIns = "stand_ins"
    }
  }

  static let format = "ashby-lua cassette 1"
  /// The answer headers kept; the rest (dates, cookies, servers' own) change nothing and only make noise.
  static let keptHeaders = [
    "Retry-After", "Ashby-Version", "Ashby-Version-Status", "X-RateLimit-Scope", "X-RateLimit-Limit",
    "X-RateLimit-Remaining", "X-RateLimit-Reset", "x-ashby-request-id", "Content-Type",
  ]

  public let path: String
  public let mode: Mode
  /// Whether personal data is replaced by stand-ins in what is written.
  public let redacts: Bool

  struct State {
    var interactions: [Interaction]
    /// Which recorded interactions replay has answered with already.
    var used: Set<Int> = []
    var added = 0
    var standIns = PersonalData.StandIns()
    var salt: String
    /// Digest of a value a script sent → its stand-in (see `File.standIns`).
    var digests: [String: String]
    /// HMAC of a person's datum → its stand-in (see `File.people`), and the key, when recording.
    var people: [String: String] = [:]
    var peopleKey: SymmetricKey?
  }
  private let state: Mutex<State>

  /// A new recording (nothing read), or the file to replay.
  /// - Parameter peopleKey: read only when recording with redaction (`PeopleKey`; tests give their own).
  /// - Throws: `CassetteError` for a file that cannot be read or is not a cassette.
  public init(
    path: String, mode: Mode, redact: Bool = true, peopleKey: @autoclosure () -> SymmetricKey? = PeopleKey.load()
  ) throws(CassetteError) {
    self.path = path
    self.mode = mode
    var interactions: [Interaction] = []
    var redacts = redact
    var salt: String?
    var digests: [String: String] = [:]
    var people: [String: String] = [:]
    if mode != .record {
      guard let data = FileManager.default.contents(atPath: path) else {
        throw CassetteError("cannot read the cassette \(path)")
      }
      let file: File
      do { file = try JSONDecoder().decode(File.self, from: data) } catch {
        throw CassetteError("\(path) is not a cassette (\(error))")
      }
      guard file.format == Self.format else {
        throw CassetteError("\(path) is a cassette of another format (\"\(file.format)\"; this program reads \"\(Self.format)\")")
      }
      for (i, recorded) in file.interactions.enumerated() {
        guard (100...599).contains(recorded.status) else {
          throw CassetteError("\(path): exchange \(i + 1) has status \(recorded.status), not an HTTP status")
        }
        let token = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        for name in recorded.headers.keys where name.isEmpty || !name.allSatisfy(token.contains) {
          throw CassetteError("\(path): exchange \(i + 1) has a header named \"\(name.prefix(40))\", not a header name")
        }
        for value in recorded.headers.values where value.contains(where: { $0.isNewline }) {
          throw CassetteError("\(path): exchange \(i + 1) has a header value across lines")
        }
      }
      interactions = file.interactions
      redacts = file.redacted
      salt = file.salt
      digests = file.standIns ?? [:]
      people = file.people ?? [:]
    }
    self.redacts = redacts
    var standIns = PersonalData.StandIns()
    for recorded in interactions {
      PersonalData.taken(in: recorded.response ?? .null, into: &standIns.taken)
      PersonalData.taken(in: recorded.request, into: &standIns.taken)
    }
    let newSalt = SymmetricKey(size: .bits128).withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() }
    state = Mutex(
      State(
        interactions: interactions, standIns: standIns, salt: salt ?? newSalt, digests: digests, people: people,
        peopleKey: redacts && mode != .replay ? peopleKey() : nil))
  }

  /// Whether requests go to the network at all.
  public var needsNetwork: Bool { mode != .replay }

  // MARK: Replay

  /// The recorded answer to this request, the first not used yet; nil when
  /// the cassette has none (then `miss` says why).
  func answer(endpoint: String, body: Data) -> RawResponse? {
    let wanted = key(of: body)
    return state.withLock { s -> RawResponse? in
      for (i, recorded) in s.interactions.enumerated() where !s.used.contains(i) && recorded.endpoint == endpoint {
        if key(of: recorded.request) == wanted {
          s.used.insert(i)
          return recorded.raw
        }
      }
      return nil
    }
  }

  /// Why a request has no answer: it, and the recorded request closest to it.
  func miss(endpoint: String, body: Data) -> String {
    let asked = key(of: body)
    let shown = Self.text(asked)
    return state.withLock { s in
      var text = "replay: \(endpoint) \(shown) is not in the cassette \(path)"
      let same = s.interactions.enumerated().filter { $0.element.endpoint == endpoint }
      if same.contains(where: { key(of: $0.element.request) == asked }) {
        let times = same.filter { key(of: $0.element.request) == asked }.count
        return text + " as often as this run asks for it (recorded \(times) time\(times == 1 ? "" : "s"))"
      }
      let candidates = same.isEmpty ? Array(s.interactions.enumerated()) : same
      let closest = candidates.min { Self.distance(asked, key(of: $0.element.request)) < Self.distance(asked, key(of: $1.element.request)) }
      if let closest {
        text += "; the closest recorded request is \(closest.element.endpoint) \(Self.text(key(of: closest.element.request)))"
      } else {
        text += "; it holds no requests"
      }
      return text + " (record it again, or add what is missing with --record-missing)"
    }
  }

  /// The recorded answer to a request, as status, headers and body; for one the cassette
  /// lacks, Ashby's error envelope saying so (`not_in_cassette`): what a fake Ashby
  /// replaying the cassette answers (`ashby.test.cassette`).
  public func replay(endpoint: String, body: Data) -> (status: Int, headers: [String: String], body: [UInt8]) {
    if let raw = answer(endpoint: endpoint, body: body) {
      var headers: [String: String] = [:]
      for header in raw.headers { headers[header.name] = header.value }
      return (raw.status, headers, Array(raw.body.readableBytesView))
    }
    let failure: JSONValue = [
      "success": false, "errorInfo": ["code": "not_in_cassette", "message": .string(miss(endpoint: endpoint, body: body))],
    ]
    return (200, ["Content-Type": "application/json"], failure.encodedBytes())
  }

  // MARK: Recording

  /// Writes down one exchange (in replay with --record-missing, one the file lacked).
  func record(endpoint: String, body: Data, response: RawResponse) {
    state.withLock { s in
      let request = (try? JSONValue.decode(body)) ?? .object([:])
      var headers: [String: String] = [:]
      for name in Self.keptHeaders { if let value = response.headers.first(name: name) { headers[name] = value } }
      var answer = JSONValue.decodeIfPossible(response.body)
      var bodyText = answer == nil ? String(buffer: response.body) : nil
      // A secret (a webhook's secretToken) is never written, whatever --redact says.
      let requestMasked = PersonalData.maskSecrets(request)
      answer = answer.map(PersonalData.maskSecrets)
      if redacts {  // the request's people's data when the file is written, once every answer was seen
        // A person an earlier session here met keeps their stand-in (known by the HMAC under this user's key).
        let key = s.peopleKey
        var (standIns, people) = (s.standIns, s.people)
        let replace = { (kind: PersonalData.Kind, text: String) -> String in
          let token = key.map { PeopleKey.token(text, key: $0) }
          if let token, let known = people[token] { return known }
          let made = standIns.standIn(for: text, kind)
          if let token { people[token] = made }
          return made
        }
        answer = answer.map { PersonalData.redact($0, endpoint: endpoint, replace) }
        bodyText = bodyText.map { PersonalData.redactText($0, replace) }
        (s.standIns, s.people) = (standIns, people)
      }
      s.interactions.append(
        Interaction(
          endpoint: endpoint, request: requestMasked, status: response.status, headers: headers, response: answer,
          bodyText: bodyText))
      s.used.insert(s.interactions.count - 1)
      s.added += 1
    }
  }

  /// Writes down an exchange with another host (a resume's download or upload): what a replay needs of it.
  func record(endpoint: String, body: Data, answer: JSONValue) {
    var headers = HTTPHeaders()
    headers.add(name: "Content-Type", value: "application/json")
    record(endpoint: endpoint, body: body, response: RawResponse(status: 200, headers: headers, body: ByteBuffer(bytes: answer.encodedBytes())))
  }

  /// Writes the file (record mode, or replay that added exchanges). Sorted keys and
  /// one field per line: a cassette committed beside a spec diffs well.
  public func save() throws(CassetteError) {
    let file: File? = state.withLock { s in
      guard mode == .record || s.added > 0 else { return nil }
      if redacts {
        // A person's datum a script sent is replaced when an answer held it too; a digest lets a
        // replay that sends it again (from its own input, say) match.
        let first = s.interactions.count - s.added
        for i in first..<s.interactions.count {
          let salt = s.salt, standIns = s.standIns, people = s.people, key = s.peopleKey
          var digests = s.digests
          // Any text an answer showed as a person's datum, wherever the request has it (`candidate.search { name }`).
          s.interactions[i].request = PersonalData.mapStrings(s.interactions[i].request) { value in
            let known = standIns.known(value) ?? key.flatMap { people[PeopleKey.token(value, key: $0)] }
            guard let standIn = known else { return value }
            digests[Self.digest(value, salt: salt)] = standIn
            return standIn
          }
          s.digests = digests
        }
      }
      return File(
        format: Self.format, recordedAt: Timestamps.format(Date()), redacted: redacts,
        salt: redacts ? s.salt : nil, standIns: redacts && !s.digests.isEmpty ? s.digests : nil,
        people: redacts && !s.people.isEmpty ? s.people : nil, interactions: s.interactions)
    }
    guard let file else { return }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    do {
      try encoder.encode(file).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
      throw CassetteError("cannot write the cassette \(path): \(error)")
    }
  }

  /// How many exchanges the cassette holds.
  public var count: Int { state.withLock { $0.interactions.count } }

  /// What this run did with the cassette, for `--verbose`.
  public var summary: String {
    state.withLock { s in
      let answered = s.used.count - s.added
      return switch mode {
      case .record: "\(s.added) exchanges recorded\(redacts ? ", people's data replaced by stand-ins" : "")"
      case .replay: "\(answered) of \(s.interactions.count) recorded answers used"
      case .replayRecordingMissing: "\(answered) recorded answers used, \(s.added) exchanges added"
      }
    }
  }

  // MARK: Matching

  /// What a live request matches on: its body canonical (numbers by value, keys in any
  /// order), with the values a redacting cassette knows by digest as their stand-ins.
  private func key(of body: Data) -> JSONValue {
    let request = PersonalData.maskSecrets((try? JSONValue.decode(body)) ?? .object([:]))
    guard redacts else { return key(of: request) }
    let (salt, digests) = state.withLock { ($0.salt, $0.digests) }
    guard !digests.isEmpty else { return key(of: request) }
    return key(of: PersonalData.mapStrings(request) { value in digests[Self.digest(value, salt: salt)] ?? value })
  }

  /// SHA-256 of the salt and a value, in hex.
  static func digest(_ value: String, salt: String) -> String {
    SHA256.hash(data: Data((salt + "\u{0}" + value).utf8)).map { String(format: "%02x", $0) }.joined()
  }

  private func key(of request: JSONValue) -> JSONValue { Self.canonical(request) }

  /// Integral doubles as integers: `1.0` and `1` are one number.
  static func canonical(_ value: JSONValue) -> JSONValue {
    switch value {
    case .double(let d) where d.rounded() == d && abs(d) < 9.0e15: return .int(Int64(d))
    case .array(let items): return .array(items.map(canonical))
    case .object(let members): return .object(members.mapValues(canonical))
    default: return value
    }
  }

  /// The leaves where two requests differ (a rough distance, for "the closest").
  static func distance(_ a: JSONValue, _ b: JSONValue) -> Int {
    switch (a, b) {
    case (.object(let x), .object(let y)):
      return Set(x.keys).union(y.keys).reduce(0) { $0 + distance(x[$1] ?? .null, y[$1] ?? .null) }
    case (.array(let x), .array(let y)):
      return (0..<max(x.count, y.count)).reduce(0) { n, i in
        n + distance(i < x.count ? x[i] : .null, i < y.count ? y[i] : .null)
      }
    default: return a == b ? 0 : 1
    }
  }

  /// A request as one line of JSON, keys sorted, cut at 300 characters.
  static func text(_ value: JSONValue) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let text = (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "?"
    return text.count > 300 ? String(text.prefix(300)) + "…" : text
  }
}

extension Cassette.Interaction {
  /// The answer as the transport hands it to the client.
  var raw: RawResponse {
    var fields = HTTPHeaders()
    for (name, value) in headers.sorted(by: { $0.key < $1.key }) { fields.add(name: name, value: value) }
    let bytes: [UInt8] = response.map { $0.encodedBytes() } ?? Array((bodyText ?? "").utf8)
    return RawResponse(status: status, headers: fields, body: ByteBuffer(bytes: bytes))
  }
}

/// A cassette that cannot be read or written, and why.
public struct CassetteError: Error, CustomStringConvertible {
  public let description: String
  init(_ description: String) { self.description = description }
}
