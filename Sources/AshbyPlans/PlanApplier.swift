import AshbyJSON
import AshbyKit
import AshbyState
import Foundation

/// `apply`: a plan's writes, in order, each sent once. What an earlier apply of the same plan left in the
/// audit log decides where this one starts: a step that went through is not sent again, and one whose
/// answer was lost (`pending`, `ambiguous`) is looked up in Ashby first.
public struct PlanApplier: Sendable {
  /// What to do when a target is no longer as the plan saw it.
  public enum DriftPolicy: String, Sendable, CaseIterable {
    /// Leave that write out, say why, and go on.
    case skip
    /// Stop there (the apply can be run again once the target is put right).
    case stop
  }

  /// How one step ended.
  public enum Status: Sendable, Equatable {
    case applied
    /// An earlier apply made it.
    case alreadyDone
    case skipped(String)
    /// The apply stopped here: an error, drift under `--on-drift stop`, or an outcome nobody can tell.
    case stopped(String)

    public var isStop: Bool {
      if case .stopped = self { return true }
      return false
    }
  }

  public struct StepResult: Sendable, Equatable {
    public var number: Int
    public var step: PlanStep
    public var status: Status
  }

  public let plan: Plan
  public let client: AshbyClient
  public let onDrift: DriftPolicy
  /// The newest audit row of each step (by number) from earlier applies of this plan: of the step's own
  /// endpoint (a resume upload's step also records the upload handle it asks for first).
  public let earlier: [Int: AuditRecord]

  public init(plan: Plan, client: AshbyClient, onDrift: DriftPolicy, earlier: [AuditRecord]) {
    self.plan = plan
    self.client = client
    self.onDrift = onDrift
    var newest: [Int: AuditRecord] = [:]
    for row in earlier.sorted(by: { ($0.id ?? 0) < ($1.id ?? 0) }) {
      guard let step = row.planStep, plan.steps.indices.contains(step - 1), plan.steps[step - 1].endpoint == row.endpoint
      else { continue }
      newest[step] = row
    }
    self.earlier = newest
  }

  /// Applies the steps in order; stops at the first that must stop. `report` hears each step as it ends.
  public func apply(report: (StepResult) -> Void) async -> [StepResult] {
    var placeholders = Placeholders()
    var results: [StepResult] = []
    for (index, step) in plan.steps.enumerated() {
      let number = index + 1
      let status = await run(step, number: number, placeholders: &placeholders)
      // What a later step names must exist: a step that made nothing, or whose id nobody learned, stops them.
      if let made = step.creates, placeholders.ids[made] == nil { placeholders.notMade.insert(made) }
      let result = StepResult(number: number, step: step, status: status)
      report(result)
      results.append(result)
      if status.isStop { break }
    }
    return results
  }

  private func run(_ step: PlanStep, number: Int, placeholders: inout Placeholders) async -> Status {
    let params: JSONValue
    switch placeholders.fill(step.params) {
    case .filled(let value): params = value
    case .missing(let placeholder):
      return .skipped("it needs \(placeholder), which an earlier step did not make")
    }
    let target = step.target.map { WriteTarget(type: $0.type, id: placeholders.id(for: $0.id)) }
    do {
      if let row = earlier[number] {
        switch row.outcome {
        case "ok":
          if let made = step.creates, let id = row.objectID { placeholders.ids[made] = id }
          return .alreadyDone
        case "pending", "ambiguous":
          switch try await WriteCheck.landed(step.endpoint, params, target: target, client: client) {
          case .landed(let id):
            if let made = step.creates, let id { placeholders.ids[made] = id }
            // The row learns what the read found: a later resume or `undo` reads it as done.
            if let rowID = row.id {
              await client.configuration.journal?.end(rowID, JournalOutcome(result: .ok, objectID: id ?? row.objectID))
            }
            return .alreadyDone
          case .notLanded: break  // it did not go through: it is sent now
          case .unknown:
            return .stopped(
              "an earlier apply sent this write and never learned whether it went through, and Ashby cannot be asked: check \(step.endpoint) \(Self.shown(params)) in Ashby, then apply again with the step done or undone by hand")
          }
        default: break  // failed or refused: not applied; sent now
        }
      }
      var image = step.before
      if let before = step.before, let target {
        guard let object = try await client.read(target) else {
          return drifted("the \(target.type) \(target.id) is gone")
        }
        let now = WriteTargets.image(step.endpoint, params, of: object) ?? .null
        guard WriteTargets.shows(now, before) else {
          return drifted(
            "the \(target.type) \(target.id) changed since the plan: \(WriteTargets.differences(now, from: before).joined(separator: "; "))"
          )
        }
        image = now  // the audit log keeps all of it (an undo's plan has only what it checks)
      }
      let context = WriteContext(action: step.action, plan: (plan.id, number))
      context.noteBefore(image)
      let results = try await WriteContext.$current.withValue(context) { () async throws(AshbyError) -> JSONValue in
        if let url = step.uploadFrom {
          return try await client.uploadResume(from: url, candidate: params["candidateId"]?.string ?? "")
        }
        return try await client.call(step.endpoint, params)
      }
      if let made = step.creates, let id = AshbyClient.objectID(of: results) { placeholders.ids[made] = id }
      return .applied
    } catch {
      return .stopped("\(error)")
    }
  }

  private func drifted(_ reason: String) -> Status {
    onDrift == .stop ? .stopped(reason + " (--on-drift stop)") : .skipped(reason)
  }

  static func shown(_ params: JSONValue) -> String { String(decoding: params.encoded(), as: UTF8.self) }
}

/// The stand-in ids of objects a plan creates, and the real ids `apply` learned for them.
struct Placeholders {
  var ids: [String: String] = [:]
  /// Stand-ins of steps that were skipped or stopped: what names them cannot be sent.
  var notMade: Set<String> = []

  enum Filled { case filled(JSONValue), missing(String) }

  func id(for text: String) -> String { ids[text] ?? text }

  /// `value` with every stand-in replaced by its real id.
  func fill(_ value: JSONValue) -> Filled {
    switch value {
    case .string(let text):
      if let id = ids[text] { return .filled(.string(id)) }
      if notMade.contains(text) { return .missing(text) }
      return .filled(value)
    case .array(let items):
      var out: [JSONValue] = []
      for item in items {
        switch fill(item) {
        case .filled(let v): out.append(v)
        case .missing(let m): return .missing(m)
        }
      }
      return .filled(.array(out))
    case .object(let fields):
      var out: [String: JSONValue] = [:]
      for (name, field) in fields {
        switch fill(field) {
        case .filled(let v): out[name] = v
        case .missing(let m): return .missing(m)
        }
      }
      return .filled(.object(out))
    default: return .filled(value)
    }
  }
}
