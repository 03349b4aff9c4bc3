import AshbyJSON
import Foundation

/// A small world for one test (`ashby.test.fixture`): the objects a spec names,
/// as Ashby spells them, with what it leaves out filled in and the links made
/// (an application's candidate, job and stage; a candidate's applications; the
/// stage history). It starts from the demo's reference lists (archive reasons,
/// templates, departments, locations, sources, users, custom fields, tags) and
/// no jobs, candidates or applications; each kind a fixture gives replaces the demo's.
public struct FakeWorld: Sendable {
  let spec: JSONObject

  /// What a fixture may hold; snake_case spellings are accepted too.
  static let kinds = [
    "jobs", "candidates", "applications", "stages", "users", "sources", "archiveReasons", "communicationTemplates",
    "departments", "locations",
  ]
  /// The interview plan a fixture's jobs use unless they name one.
  static let planID: JSONValue = "plan-fixture"

  /// - Throws: `FakeWorldError` naming the key or object that is wrong.
  public init(_ value: JSONValue) throws(FakeWorldError) {
    guard case .object(let given) = value else { throw FakeWorldError("a fixture is a table of lists, like { jobs = {...} }") }
    var spec: JSONObject = [:]
    for (key, list) in given {
      let name = Self.camel(key)
      guard Self.kinds.contains(name) else {
        throw FakeWorldError("unknown fixture key \"\(key)\"; known: \(Self.kinds.joined(separator: ", "))")
      }
      switch list {
      case .array: spec[name] = list
      case .object(let members) where members.isEmpty: spec[name] = .array([])  // `{}`: Lua cannot tell an empty list
      default: throw FakeWorldError("fixture.\(key) must be a list")
      }
    }
    self.spec = spec
  }

  static func camel(_ key: String) -> String {
    let parts = key.split(separator: "_")
    guard parts.count > 1 else { return key }
    return String(parts[0]) + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
  }

  func objects(_ kind: String) throws(FakeWorldError) -> [JSONObject]? {
    guard case .array(let items)? = spec[kind] else { return nil }
    var out: [JSONObject] = []
    for (i, item) in items.enumerated() {
      guard case .object(let o) = item else { throw FakeWorldError("fixture.\(kind)[\(i + 1)] must be a table") }
      out.append(o)
    }
    return out
  }

  /// The world: `base`'s reference lists, then the fixture's objects, at `now`.
  func world(from base: FakeData, now: Date) throws(FakeWorldError) -> FakeData {
    var d = FakeData()
    d.departments = try objects("departments") ?? base.departments
    d.locations = try objects("locations") ?? base.locations
    d.sources = try filled(objects("sources") ?? base.sources, prefix: "src-fixture") { o, n in
      if o["title"] == nil { o["title"] = .string("Source \(n)") }
      if o["isArchived"] == nil { o["isArchived"] = false }
    }
    d.users = try filled(objects("users") ?? base.users, prefix: "usr-fixture") { o, n in
      if o["isEnabled"] == nil { o["isEnabled"] = true }
      if o["email"] == nil { o["email"] = .string("user\(n)@example.com") }
    }
    d.archiveReasons = try filled(objects("archiveReasons") ?? base.archiveReasons, prefix: "arc-fixture") { o, n in
      if o["text"] == nil { o["text"] = .string("Reason \(n)") }
      if o["reasonType"] == nil { o["reasonType"] = "RejectedByOrg" }
      if o["isArchived"] == nil { o["isArchived"] = false }
    }
    d.communicationTemplates = try objects("communicationTemplates") ?? base.communicationTemplates
    d.customFields = base.customFields
    d.tags = base.tags
    d.interviews = base.interviews
    d.plans = base.plans
    let types = Dictionary(FakeData.stageTitles.map { ($0.0.lowercased(), $0.1) }, uniquingKeysWith: { a, _ in a })
    let stageSpecs = try objects("stages") ?? FakeData.stageTitles.map { ["title": .string($0.0)] }
    d.plans[Self.planID] = try stageSpecs.enumerated().map { (k, given) throws(FakeWorldError) -> JSONObject in
      guard let title = given["title"]?.string else { throw FakeWorldError("fixture.stages[\(k + 1)] needs a title") }
      var stage = given
      stage["id"] = given["id"] ?? .string("stg-fixture-\(k + 1)")
      stage["type"] = given["type"] ?? .string(types[title.lowercased()] ?? "Active")
      stage["orderInInterviewPlan"] = .int(Int64(k))
      stage["interviewPlanId"] = Self.planID
      return stage
    }
    let stamp = FakeData.iso(now)
    d.jobs = try filled(objects("jobs") ?? [], prefix: "job-fixture") { o, n in
      if o["title"] == nil { o["title"] = .string("Job \(n)") }
      if o["status"] == nil { o["status"] = "Open" }
      if o["employmentType"] == nil { o["employmentType"] = "FullTime" }
      if o["confidential"] == nil { o["confidential"] = false }
      let plan = o["defaultInterviewPlanId"] ?? Self.planID
      o["defaultInterviewPlanId"] = plan
      if o["interviewPlanIds"] == nil { o["interviewPlanIds"] = [plan] }
      for key in ["createdAt", "updatedAt", "openedAt"] where o[key] == nil { o[key] = stamp }
    }
    d.candidates = try filled(objects("candidates") ?? [], prefix: "cand-fixture") { o, n in
      let name = o["name"]?.string ?? "Candidate \(n)"
      var c = FakeData.candidate(
        id: o["id"] ?? .null, name: name, email: o["email"]?.string ?? o["primaryEmailAddress"]?["value"]?.string,
        phone: o["phone"]?.string ?? o["primaryPhoneNumber"]?["value"]?.string)
      c["createdAt"] = stamp
      for (key, value) in o where key != "email" && key != "phone" { c[key] = value }
      o = c
    }
    try link(&d, applications: objects("applications") ?? [], now: stamp)
    return d
  }

  /// Each application joined to its candidate, job, stage and source, with its stage history.
  private func link(_ d: inout FakeData, applications: [JSONObject], now stamp: JSONValue) throws(FakeWorldError) {
    var byCandidate: [JSONValue: [JSONValue]] = [:]
    for (i, given) in applications.enumerated() {
      let at = "fixture.applications[\(i + 1)]"
      func reference(_ idKey: String, _ objectKey: String) -> JSONValue? { given[idKey] ?? given[objectKey]?["id"] }
      guard let candidateID = reference("candidateId", "candidate"),
        let candidate = d.candidates.first(where: { $0["id"] == candidateID })
      else { throw FakeWorldError("\(at) needs candidateId (or candidate = { id = ... }) naming a fixture candidate") }
      guard let jobID = reference("jobId", "job"), let job = d.jobs.first(where: { $0["id"] == jobID }) else {
        throw FakeWorldError("\(at) needs jobId (or job = { id = ... }) naming a fixture job")
      }
      let stages = d.plans[job["defaultInterviewPlanId"] ?? Self.planID] ?? []
      let wanted = given["currentInterviewStage"]
      let stage: JSONObject?
      switch wanted {
      case .string(let title)?: stage = stages.first { $0["title"]?.string?.lowercased() == title.lowercased() }
      case .object(let o)?:
        stage = stages.first { (o["id"] != nil && $0["id"] == o["id"]) || (o["title"] != nil && $0["title"]?.string?.lowercased() == o["title"]?.string?.lowercased()) }
      default: stage = stages.first { $0["type"] != "Lead" } ?? stages.first
      }
      guard let stage else {
        let titles = stages.compactMap { $0["title"]?.string }.joined(separator: ", ")
        let named = wanted.map { String(decoding: $0.encoded(), as: UTF8.self) } ?? ""
        throw FakeWorldError("\(at): no stage \(named) in the job's plan (\(titles))")
      }
      let source: JSONObject? =
        switch reference("sourceId", "source") {
        case let id?: d.sources.first { $0["id"] == id }
        case nil: given["source"]?["title"].flatMap { title in d.sources.first { $0["title"] == title } }
        }
      let id = given["id"] ?? .string("app-fixture-\(i + 1)")
      var app = FakeData.application(id: id, candidate: candidate, job: job, stage: stage, source: source, daysAgo: 0)
      app["createdAt"] = given["createdAt"] ?? given["updatedAt"] ?? stamp
      app["updatedAt"] = given["updatedAt"] ?? stamp
      app["status"] =
        switch stage["type"]?.string {
        case "Archived": "Archived"
        case "Hired": "Hired"
        case "Lead": "Lead"
        default: "Active"
        }
      for (key, value) in given
      where !["candidateId", "candidate", "jobId", "job", "currentInterviewStage", "sourceId", "source"].contains(key) {
        app[key] = value
      }
      if stage["type"] == "Archived", app["archiveReason"] == nil, let reason = d.archiveReasons.first {
        app["archiveReason"] = .object(reason)
      }
      FakeData.recordMove(&d, of: id, to: stage, at: app["updatedAt"] ?? stamp)
      d.applications.append(app)
      if let cid = candidate["id"] { byCandidate[cid, default: []].append(id) }
    }
    for i in d.candidates.indices {
      if let cid = d.candidates[i]["id"] { d.candidates[i]["applicationIds"] = .array(byCandidate[cid] ?? []) }
    }
  }

  /// Gives every object an id (`prefix-N`) and lets `fill` add what Ashby would have.
  private func filled(
    _ items: [JSONObject], prefix: String, _ fill: (inout JSONObject, Int) throws(FakeWorldError) -> Void
  ) throws(FakeWorldError) -> [JSONObject] {
    var out: [JSONObject] = []
    for (i, item) in items.enumerated() {
      var o = item
      if o["id"] == nil { o["id"] = .string("\(prefix)-\(i + 1)") }
      try fill(&o, i + 1)
      out.append(o)
    }
    return out
  }
}

/// A fixture that does not make a world, and why.
public struct FakeWorldError: Error, CustomStringConvertible {
  public let description: String
  init(_ d: String) { description = d }
}

extension FakeAshby {
  /// A fresh world for the next test: the demo data as it was at start, or a
  /// fixture's; the request log, faults, latency, rate limit and sink emptied.
  public func reset(to fixture: FakeWorld? = nil, now: Date = Date()) throws(FakeWorldError) {
    try replaceWorld(with: fixture, now: now)
    state.withLock { s in
      s.rng = SeededGenerator(seed: 7)  // a fault's `rate` draws the same in a test whatever ran before it
      s.log.removeAll()
      s.faults = []
      s.latency = .zero
      s.retryAfter = "1"
      s.rateLimit = nil
      s.admitted.removeAll()
      s.sink.removeAll()
      s.replayer = nil
    }
  }

  /// Only the world: the demo data or a fixture's, the request log, faults and the rest kept
  /// (`ashby.test.fixture` inside a test).
  public func replaceWorld(with fixture: FakeWorld? = nil, now: Date = Date()) throws(FakeWorldError) {
    let world = try fixture.map { f throws(FakeWorldError) in try f.world(from: store.initial, now: now) } ?? store.initial
    store.withData { $0 = world }
  }
}
