import Foundation

/// How a run ended (or that it is still going).
public enum RunStatus: String, Sendable, Codable, CaseIterable {
  case running, ok, failed, timeout
  /// Stopped by the scheduler itself (`overlap = "replace"`, Ctrl-C on `trigger`).
  case cancelled
  /// Stopped from outside, or by a daemon that stopped or died while it ran: never retried.
  case interrupted
  /// Not run; `error` says why.
  case skipped
  /// Histories before `interrupted` existed said this for a run a daemon left `running`.
  case abandoned
}

/// Why a run started.
public enum RunTrigger: String, Sendable, Codable {
  case schedule
  /// A fire missed while no daemon ran, run late under `catch_up`.
  case catchUp = "catch_up"
  /// `schedule trigger`.
  case manual
  /// An Ashby webhook delivery to a `[[hook]]`.
  case webhook
}

/// One row of the history.
public struct RunRecord: Sendable, Codable, Equatable {
  public var id: Int64?
  public var job: String
  public var trigger: RunTrigger
  /// The fire time this run is for (nil for a manual run).
  public var scheduledFor: Date?
  public var startedAt: Date
  public var endedAt: Date?
  public var status: RunStatus
  public var exitCode: Int?
  public var attempts: Int
  /// Writes that reached Ashby (planned ones, under dry run).
  public var writes: Int
  public var dryRun: Bool
  public var error: String?
  public var owner: String
  /// The end of what the run printed (`OutputTail.capacity`), for `schedule logs`.
  public var output: String?
  /// For a hook's run: the event (`applicationSubmit 3f2a…`), as `WebhookDelivery.summary` says it.
  public var event: String?
  /// The fencing number of the lease it runs under (`StateStore`): its end is recorded only under it.
  public var fence: Int64 = 0

  enum CodingKeys: String, CodingKey {
    case id, job, trigger, status, attempts, writes, error, owner, output, event, fence
    case scheduledFor = "scheduled_for"
    case startedAt = "started_at"
    case endedAt = "ended_at"
    case exitCode = "exit_code"
    case dryRun = "dry_run"
  }
}

extension RunRecord {
  public init(
    job: String, trigger: RunTrigger, scheduledFor: Date?, startedAt: Date, endedAt: Date?, status: RunStatus,
    attempts: Int, writes: Int, error: String?, owner: String
  ) {
    self.init(
      id: nil, job: job, trigger: trigger, scheduledFor: scheduledFor, startedAt: startedAt, endedAt: endedAt,
      status: status, exitCode: nil, attempts: attempts, writes: writes, dryRun: false, error: error, owner: owner,
      output: nil, event: nil)
  }
}


extension RunRecord {
  static let columns =
    "job, trigger, scheduled_for, started_at, ended_at, status, exit_code, attempts, writes, dry_run, error, owner, output, event, fence"
  static let selectAll = "SELECT id, \(columns) FROM runs"

  /// What `columns` names, in its order.
  var values: [StateValue] {
    AshbyState.values(
      job, trigger.rawValue, scheduledFor, startedAt, endedAt, status.rawValue, exitCode, attempts, writes, dryRun,
      error, owner, output, event, fence)
  }

  init?(row: any StateRow) {
    guard let job = row.string("job"), let trigger = row.string("trigger").flatMap(RunTrigger.init(rawValue:)),
      let startedAt = row.date("started_at"), let status = row.string("status").flatMap(RunStatus.init(rawValue:))
    else { return nil }
    self.init(
      id: row.int("id"), job: job, trigger: trigger, scheduledFor: row.date("scheduled_for"), startedAt: startedAt,
      endedAt: row.date("ended_at"), status: status, exitCode: row.int("exit_code").map(Int.init),
      attempts: Int(row.int("attempts") ?? 0), writes: Int(row.int("writes") ?? 0), dryRun: row.bool("dry_run") ?? false,
      error: row.string("error"), owner: row.string("owner") ?? "", output: row.string("output"),
      event: row.string("event"), fence: row.int("fence") ?? 0)
  }
}
