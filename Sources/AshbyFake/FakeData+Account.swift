import AshbyJSON
import Foundation

/// The candidates, applications and interviews of the demo data, shaped like a
/// mid-size account, so the first report a new user makes looks like one: open
/// jobs with a long tail of applications (most have a few, some dozens), stages
/// that narrow like a real funnel, archived applications with reasons, sources
/// in realistic shares, dates over six months, interviews on the calendar.
/// Deterministic per seed. (A test that needs a tiny account seeds its own.)
extension FakeData {
  /// How often each stage of `stageTitles` holds an application, in order:
  /// Lead, Application Review, Phone Screen, Onsite, Offer, Hired, Archived.
  static let stageWeights = [8, 34, 20, 12, 5, 3, 18]
  /// How often each source brings an application: Referral, LinkedIn, Careers Page, Agency, Conference.
  static let sourceWeights = [15, 35, 30, 12, 8]
  /// Applications an open job has at most.
  static let maxApplicationsPerJob = 80
  /// Open jobs with applications: a few dozen (the rest of the open jobs have none yet).
  static let staffedJobs = 24
  /// The first applications are in Application Review, active, and recent,
  /// whatever the seed: tests and examples move them and expect that.
  static let reviewedFirst = 10

  static func seedAccount(_ d: inout FakeData, rng: inout SeededGenerator, candidates: Int, firstNames: [String]) {
    let openJobs = Array(d.jobs.filter { $0["status"] == "Open" }.prefix(staffedJobs))
    // A long tail: u³ makes most counts small and a few large.
    let counts = openJobs.indices.map { j -> Int in
      let u = Double(rng.next() % 10_000) / 10_000
      return j < 3 ? 40 + 15 * j : Int(Double(maxApplicationsPerJob) * u * u * u)
    }
    let lastNames = ["Lovelace", "Hopper", "Turing", "Liskov", "Knuth", "Hamilton", "Ritchie", "Torvalds"]
    // More people than the busiest job's applications: no one applies to a job twice.
    for i in 0..<max(maxApplicationsPerJob + 20, candidates) {
      let first = firstNames[i % firstNames.count], last = lastNames[i % lastNames.count]
      let email = "\(first.lowercased()).\(last.lowercased())\(i)@example.org"
      var c = candidate(id: id("cand", i), name: "\(first) \(last)", email: email, phone: nil)
      if i % 3 == 0 { c["resumeFileHandle"] = ["id": id("file", i), "name": "resume.pdf", "handle": "h-\(i)"] }
      d.candidates.append(c)
    }
    // Applications go round the jobs, so the first ones spread over several jobs.
    var left = counts
    var order: [Int] = []
    while left.contains(where: { $0 > 0 }) {
      for j in left.indices where left[j] > 0 {
        order.append(j)
        left[j] -= 1
      }
    }
    var byCandidate: [JSONValue: [JSONValue]] = [:]
    var taken = Array(repeating: 0, count: openJobs.count)
    for (i, j) in order.enumerated() {
      let person = d.candidates[(j * 17 + taken[j]) % d.candidates.count]
      taken[j] += 1
      let job = openJobs[j]
      let plan = job["defaultInterviewPlanId"] ?? id("plan", 0)
      let stages = d.plans[plan] ?? []
      let k = i < reviewedFirst ? 1 : pick(stageWeights, &rng)
      guard k < stages.count else { continue }
      let age = i < reviewedFirst ? i : Int(rng.next() % 180)
      var app = application(
        id: id("app", i), candidate: person, job: job, stage: stages[k],
        source: d.sources[pick(sourceWeights, &rng)], daysAgo: age)
      // Some were last touched long ago: "stale for 14 days" finds them.
      let idle = age == 0 ? 0 : Int(rng.next() % UInt64(min(age, 60) + 1))
      app["updatedAt"] = date(daysAgo: idle, from: Date())
      recordPath(&d, of: app, through: stages, to: k, n: i)
      switch stages[k]["type"]?.string {
      case "Archived":
        let reason = d.archiveReasons[Int(rng.next() % UInt64(d.archiveReasons.count))]
        app["status"] = "Archived"
        app["archiveReason"] = .object(reason)
        app["archivedAt"] = app["updatedAt"]
      case "Hired": app["status"] = "Hired"
      case "Active", "Offer":
        if stages[k]["title"] != "Offer" {
          d.schedules.append(interview(for: app, stage: stages[k], n: d.schedules.count, &rng, d))
        }
      default: break
      }
      d.applications.append(app)
      if let cid = person["id"], let aid = app["id"] { byCandidate[cid, default: []].append(aid) }
    }
    for i in d.candidates.indices {
      if let cid = d.candidates[i]["id"] { d.candidates[i]["applicationIds"] = .array(byCandidate[cid] ?? []) }
    }
  }

  /// The stages an application went through to stage `k` (from Application Review, or Lead; an
  /// archived one after one to three stages), the first entered when it was created and the last
  /// at its last change, the rest evenly between. Drawn from `n`, not the generator: the rest of
  /// the seeded world stays as it was.
  static func recordPath(_ d: inout FakeData, of app: JSONObject, through stages: [JSONObject], to k: Int, n: Int) {
    let archived = stageTitles.firstIndex { $0.1 == "Archived" } ?? stages.count
    let path = k == 0 ? [0] : k == archived ? Array(1...(1 + n % 3)) + [k] : Array(1...k)
    let created = app["createdAt"] ?? .null, changed = app["updatedAt"] ?? .null
    let first = created.string.flatMap(Timestamps.parse) ?? Date()
    let last = changed.string.flatMap(Timestamps.parse) ?? Date()
    for (step, index) in path.enumerated() where index < stages.count {
      // The first and the last entries at the application's own times, exactly as it shows them.
      let at =
        step == path.count - 1
        ? changed : step == 0 ? created : iso(first.addingTimeInterval(last.timeIntervalSince(first) * Double(step) / Double(path.count - 1)))
      recordMove(&d, of: app["id"] ?? .null, to: stages[index], at: at)
    }
  }

  /// An index drawn with the given weights.
  static func pick(_ weights: [Int], _ rng: inout SeededGenerator) -> Int {
    var r = Int(rng.next() % UInt64(weights.reduce(0, +)))
    for (i, w) in weights.enumerated() {
      if r < w { return i }
      r -= w
    }
    return weights.count - 1
  }

  /// An interview in the next two weeks, with one of the users.
  static func interview(
    for app: JSONObject, stage: JSONObject, n: Int, _ rng: inout SeededGenerator, _ d: FakeData
  ) -> JSONObject {
    let start = Date().addingTimeInterval(Double(1 + rng.next() % 14) * 86_400 + Double(rng.next() % 8) * 3600)
    let user = d.users[Int(rng.next() % UInt64(d.users.count))]
    return [
      "id": id("sch", n), "applicationId": app["id"] ?? "", "interviewStageId": stage["id"] ?? "",
      "status": "Scheduled",
      "interviewEvents": [
        [
          "id": id("evt", n * 10), "startTime": iso(start), "endTime": iso(start.addingTimeInterval(3600)),
          "interviewers": [["email": user["email"] ?? "", "feedbackRequired": true]], "extraData": [:],
        ]
      ],
    ]
  }
}
