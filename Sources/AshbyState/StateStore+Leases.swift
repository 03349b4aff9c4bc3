import Foundation

/// A job's lease: one daemon runs the job at a time. Each lease row keeps a
/// fencing number that grows whenever a different daemon takes the lease;
/// a run records its end only while the lease still holds the number it
/// started under, so a daemon that stalled past its expiry and then woke
/// (SIGSTOP, a long pause, a partition) finds itself fenced off instead of
/// writing over its successor.
extension StateStore {
  /// What `claim` found.
  public enum Claim: Equatable, Sendable {
    /// The lease is ours: run.
    case acquired
    /// Another daemon holds the lease (its owner name): that one is still running.
    case held(String)
    /// Another daemon has already taken this fire: nothing to do.
    case taken
  }

  /// What `startRun` did.
  public enum Start: Sendable {
    /// The lease is ours and the run's row is written (with its id and fence).
    case started(RunRecord)
    /// Another daemon holds the lease: the row written says `skipped`.
    case held(String, RunRecord)
    /// Another daemon has already taken this fire: no row.
    case taken
  }

  /// Takes the job's lease, claims a scheduled fire and writes the run's
  /// first row, in one transaction: of daemons sharing the state, one runs
  /// each fire, and no claimed fire is left without a row, whoever crashes
  /// when. Taking over a lease that expired ends the old holder's run of the
  /// job (`interrupted`): its end will not be recorded.
  public func startRun(_ record: RunRecord, until expiry: Date, now: Date) throws -> Start {
    try write { db in
      switch try Self.claim(db, record.job, owner: record.owner, until: expiry, now: now, fire: record.scheduledFor) {
      case .taken: return .taken
      case .held(let holder):
        var skipped = record
        skipped.status = .skipped
        skipped.endedAt = now
        skipped.error = "another daemon is running it (\(holder))"
        return .held(holder, try Self.insert(db, skipped))
      case .acquired(let fence):
        var started = record
        started.fence = fence
        return .started(try Self.insert(db, started))
      }
    }
  }

  /// Takes the job's lease, and for a scheduled fire claims the fire too, in one transaction.
  public func claim(_ job: String, owner: String, until expiry: Date, now: Date, fire: Date?) throws -> Claim {
    try write { db in
      switch try Self.claim(db, job, owner: owner, until: expiry, now: now, fire: fire) {
      case .acquired: .acquired
      case .held(let holder): .held(holder)
      case .taken: .taken
      }
    }
  }

  enum Taken {
    case acquired(fence: Int64)
    case held(String)
    case taken
  }

  static func claim(
    _ db: any StateSQL, _ job: String, owner: String, until expiry: Date, now: Date, fire: Date?
  ) throws -> Taken {
    if let fire, try isClaimed(db, job, fire) { return .taken }
    let holder = try db.one("SELECT owner, expires_at, fence FROM leases WHERE job = ?", [.text(job)])
    let holderName = holder?.string("owner") ?? ""
    let live = (holder?.date("expires_at")).map { $0 > now } ?? false
    if holder != nil, holderName != owner, live {
      if let fire { try claimFire(db, job, fire, owner: owner) }  // this daemon records the skip; others find it taken
      return .held(holderName)
    }
    var fence = holder?.int("fence") ?? 0
    if holder == nil || holderName != owner {
      fence += 1
      if holder != nil {
        try db.execute(
          """
          UPDATE runs SET status = 'interrupted', ended_at = ?,
            error = 'its daemon stopped renewing the lease and another took the job over; writes it made before are not counted'
          WHERE job = ? AND owner = ? AND status = 'running' AND trigger != 'webhook'
          """, values(now, job, holderName))
      }
    }
    try db.execute(
      """
      INSERT INTO leases(job, owner, expires_at, fence) VALUES (?, ?, ?, ?)
      ON CONFLICT(job) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at, fence = excluded.fence
      """, values(job, owner, expiry, fence))
    if let fire { try claimFire(db, job, fire, owner: owner) }
    return .acquired(fence: fence)
  }

  /// Takes (or renews) the job's lease for `owner`; false when another owner holds a live one.
  public func acquireLease(_ job: String, owner: String, until expiry: Date, now: Date) throws -> Bool {
    try claim(job, owner: owner, until: expiry, now: now, fire: nil) == .acquired
  }

  /// Renews a lease still held under `fence`; false when another daemon has taken it since.
  public func renewLease(_ job: String, owner: String, fence: Int64, until expiry: Date) throws -> Bool {
    try write { db in
      try db.execute(
        "UPDATE leases SET expires_at = ? WHERE job = ? AND owner = ? AND fence = ?", values(expiry, job, owner, fence))
        > 0
    }
  }

  /// Who holds the job's lease now, if anyone.
  public func leaseHolder(_ job: String, now: Date) throws -> String? {
    try read { db in
      try db.one("SELECT owner FROM leases WHERE job = ? AND expires_at > ?", values(job, now))?.string("owner")
    }
  }

  /// The lease's fencing number (0 before any daemon took it).
  public func leaseFence(_ job: String) throws -> Int64 {
    try read { db in try db.one("SELECT fence FROM leases WHERE job = ?", [.text(job)])?.int("fence") ?? 0 }
  }

  public func releaseLease(_ job: String, owner: String) throws {
    try write { db in
      try db.execute("UPDATE leases SET expires_at = ? WHERE job = ? AND owner = ?", values(Self.released, job, owner))
    }
  }

  /// A run's end, recorded in one transaction with what goes with it (the
  /// change feeds' tokens of an `ok` run, the lease freed, old runs pruned),
  /// but only while the job's lease still holds the run's fence: false, and
  /// nothing written, when another daemon took the job over meanwhile.
  public func finishRun(
    _ record: RunRecord, syncTokens: [String: String], keepRuns: Int?, endedAfter: Date?
  ) throws -> Bool {
    try write { db in
      guard
        try db.one(
          "SELECT 1 AS held FROM leases WHERE job = ? AND owner = ? AND fence = ?",
          values(record.job, record.owner, record.fence)) != nil,
        try Self.update(db, record)
      else { return false }
      if record.status == .ok { try Self.saveSyncTokens(db, syncTokens, state: record.job, now: record.endedAt ?? Date()) }
      try db.execute(
        "UPDATE leases SET expires_at = ? WHERE job = ? AND owner = ? AND fence = ?",
        values(Self.released, record.job, record.owner, record.fence))
      try Self.prune(db, record.job, keepingRuns: keepRuns, endedAfter: endedAfter)
      return true
    }
  }
}
