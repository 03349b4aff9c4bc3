import AshbyJSON
import Foundation

/// One object of the fake's world, in the project's one JSON type.
typealias JSONObject = [String: JSONValue]

/// The fake's world: seeded, deterministic, large enough to need several pages.
struct FakeData {
  var jobs: [JSONObject] = []
  var departments: [JSONObject] = []
  var locations: [JSONObject] = []
  var sources: [JSONObject] = []
  var users: [JSONObject] = []
  var candidates: [JSONObject] = []
  var applications: [JSONObject] = []
  var plans: [JSONValue: [JSONObject]] = [:]  // interview plan id -> ordered stages
  var notes: [JSONObject] = []
  var schedules: [JSONObject] = []
  var uploadHandles: [String: Upload] = [:]
  var archiveReasons: [JSONObject] = []
  /// Each application's stages, oldest first (`application.listHistory`), and how many entries were made.
  var history: [JSONValue: [JSONObject]] = [:]
  var historyCount = 0
  var offers: [JSONObject] = []
  var customFields: [JSONObject] = []
  var tags: [JSONObject] = []
  /// The kinds of interview the plans hold (`interview.list`).
  var interviews: [JSONObject] = []
  var communicationTemplates: [JSONObject] = []
  /// Rejection emails scheduled by a move to an Archived stage: the application and the `archiveEmail` asked for.
  var archiveEmails: [(applicationId: String, email: JSONObject)] = []
  /// Bumped on every change; sync tokens name a version, and each item
  /// (candidate, application) the version of its last change (by id).
  var version = 0
  var versions: [JSONValue: Int] = [:]
  /// Sync tokens from before this epoch are expired.
  var tokenEpoch = 1
  /// Registered webhooks (`webhook.create`): id, webhookType, requestUrl, secretToken, enabled.
  var webhooks: [JSONObject] = []
  /// Events waiting to be sent to the webhooks, once the lock is released.
  /// An event Ashby sends: its id, its type, the body (encoded once, signed and sent as is).
  typealias Outgoing = (webhookActionId: String, action: String, body: Data)
  var outbox: [Outgoing] = []

  /// A resume upload handle (`file.createFileUploadHandle`) and whether its file arrived.
  struct Upload {
    var filename: String
    var contentType: JSONValue
    var bytes: Int?
  }

  static let stageTitles: [(String, String)] = [
    ("Lead", "Lead"), ("Application Review", "PreInterviewScreen"), ("Phone Screen", "Active"),
    ("Onsite", "Active"), ("Offer", "Offer"), ("Hired", "Hired"), ("Archived", "Archived"),
  ]

  /// - Parameter candidates: how many candidates (the benchmark pages through 100,000).
  static func seeded(_ seed: UInt64, candidates: Int = 60) -> FakeData {
    var rng = SeededGenerator(seed: seed)
    var d = FakeData()
    let departmentNames = ["Engineering", "Design", "Sales", "Marketing", "People", "Finance", "Support", "Product"]
    for (i, name) in departmentNames.enumerated() {
      d.departments.append(["id": id("dep", i), "name": .string(name), "isArchived": false, "externalName": .string(name)])
    }
    let locationNames = ["San Francisco", "New York", "London", "Berlin", "Remote (US)", "São Paulo"]
    for (i, name) in locationNames.enumerated() {
      d.locations.append([
        "id": id("loc", i), "name": .string(name), "isArchived": false,
        "workplaceType": name.hasPrefix("Remote") ? "Remote" : "OnSite",
      ])
    }
    for (i, title) in ["Referral", "LinkedIn", "Careers Page", "Agency", "Conference"].enumerated() {
      d.sources.append(["id": id("src", i), "title": .string(title), "isArchived": false, "sourceType": ["title": "Inbound"]])
    }
    let reasons = [
      ("Not a fit", "RejectedByOrg"), ("Position filled", "RejectedByOrg"), ("Withdrew", "RejectedByCandidate"),
      ("Went silent", "RejectedByCandidate"), ("Hired elsewhere", "Other"),
    ]
    for (i, r) in reasons.enumerated() {
      d.archiveReasons.append(["id": id("arc", i), "text": .string(r.0), "reasonType": .string(r.1), "isArchived": false])
    }
    for (i, field) in [("Salary expectation", "Number"), ("Visa required", "Boolean"), ("Notice period", "String")]
      .enumerated()
    {
      d.customFields.append([
        "id": id("cf", i), "title": .string(field.0), "fieldType": .string(field.1), "objectType": "Candidate",
        "isArchived": false,
      ])
    }
    for (i, title) in ["Silver medalist", "Referral bonus", "Relocation", "Old import"].enumerated() {
      d.tags.append(["id": id("tag", i), "title": .string(title), "isArchived": .bool(i == 3)])
    }
    for (i, title) in ["Phone Screen", "Technical Interview", "Hiring Manager", "Debrief", "Take-home (retired)"]
      .enumerated()
    {
      d.interviews.append([
        "id": id("int", i), "title": .string(title), "isDebrief": .bool(title == "Debrief"), "isArchived": .bool(i == 4),
        "instructionsPlain": "Be on time and take notes.",
      ])
    }
    for (i, title) in ["Rejection - standard", "Rejection - after onsite", "Thanks for applying"].enumerated() {
      d.communicationTemplates.append(["id": id("tpl", i), "title": .string(title), "intendedTypes": ["email"]])
    }
    let firstNames = ["Lee", "Sam", "Alex", "Priya", "Chen", "Maria", "Tom", "Aisha", "Jonas", "Yuki"]
    for i in 0..<10 {
      d.users.append([
        "id": id("usr", i), "firstName": .string(firstNames[i]), "lastName": "Recruiter\(i)",
        "email": "\(firstNames[i].lowercased())@example.com",
        "globalRole": i == 0 ? "Organization Admin" : "Interviewer",
        "isEnabled": true,
      ])
    }
    for p in 0..<3 {
      let plan = id("plan", p)
      d.plans[plan] = stageTitles.enumerated().map { (k, s) in
        [
          "id": id("stg", p * 10 + k), "title": .string(s.0), "type": .string(s.1), "orderInInterviewPlan": .int(Int64(k)),
          "interviewPlanId": plan,
        ]
      }
    }
    let roles = [
      "Backend Engineer", "Product Designer", "Account Executive", "Data Scientist", "Recruiter",
      "Support Specialist", "Frontend Engineer", "Controller",
    ]
    let statuses = ["Open", "Open", "Open", "Closed", "Archived", "Draft"]
    for i in 0..<250 {
      let plan = id("plan", i % 3)
      let status = statuses[Int(rng.next() % 6)]
      var job: JSONObject = [
        "id": id("job", i), "title": "\(roles[i % roles.count]) \(i + 1)", "status": .string(status),
        "employmentType": "FullTime", "confidential": false,
        "departmentId": id("dep", i % departmentNames.count), "locationId": id("loc", i % locationNames.count),
        "defaultInterviewPlanId": plan, "interviewPlanIds": [plan], "jobPostingIds": [id("post", i)],
        "createdAt": date(daysAgo: 200 - i % 200), "updatedAt": date(daysAgo: i % 30),
        "openedAt": date(daysAgo: 180 - i % 180),
      ]
      if status == "Closed" || status == "Archived" { job["closedAt"] = date(daysAgo: i % 60) }
      d.jobs.append(job)
    }
    seedAccount(&d, rng: &rng, candidates: candidates, firstNames: firstNames)
    return d
  }

  static func id(_ prefix: String, _ n: Int) -> JSONValue {
    let hex = String(format: "%08x", (n &* 2_654_435_761) & 0xffff_ffff)
    return "\(prefix)-\(hex)-\(String(format: "%04d", n))"
  }

  static func date(daysAgo: Int, from now: Date = Date(timeIntervalSince1970: 1_780_000_000)) -> JSONValue {
    iso(now.addingTimeInterval(-Double(daysAgo) * 86_400))
  }

  static func iso(_ d: Date) -> JSONValue { .string(d.formatted(isoStyle)) }

  static let isoStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

  static func candidate(id: JSONValue, name: String, email: String?, phone: String?) -> JSONObject {
    var c: JSONObject = [
      "id": id, "name": .string(name), "phoneNumbers": [], "socialLinks": [], "tags": [], "applicationIds": [],
      "fileHandles": [], "emailAddresses": [],
      "profileUrl": "https://app.ashbyhq.com/candidates/\(id.string ?? "")", "createdAt": iso(Date()),
    ]
    if let email {
      let address: JSONValue = ["value": .string(email), "type": "Personal", "isPrimary": true]
      c["primaryEmailAddress"] = address
      c["emailAddresses"] = [address]
    }
    if let phone {
      let number: JSONValue = ["value": .string(phone), "type": "Mobile", "isPrimary": true]
      c["primaryPhoneNumber"] = number
      c["phoneNumbers"] = [number]
    }
    return c
  }

  static func application(
    id: JSONValue, candidate: JSONObject, job: JSONObject, stage: JSONObject, source: JSONObject?, daysAgo: Int
  ) -> JSONObject {
    let when = date(daysAgo: daysAgo, from: Date())
    var a: JSONObject = [
      "id": id, "createdAt": when, "updatedAt": when, "status": stage["type"] == "Lead" ? "Lead" : "Active",
      "candidate": [
        "id": candidate["id"] ?? "", "name": candidate["name"] ?? "",
        "primaryEmailAddress": candidate["primaryEmailAddress"] ?? .null,
      ],
      "currentInterviewStage": .object(stage),
      "job": [
        "id": job["id"] ?? "", "title": job["title"] ?? "", "locationId": job["locationId"] ?? .null,
        "departmentId": job["departmentId"] ?? .null,
      ],
      "hiringTeam": [],
    ]
    if let source { a["source"] = .object(source) }
    return a
  }
}

/// SplitMix64: the same seed gives the same world on every machine.
struct SeededGenerator: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
