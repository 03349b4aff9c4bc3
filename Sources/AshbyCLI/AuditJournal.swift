import AshbyJSON
import AshbyKit
import AshbyProcess
import AshbyScripting
import AshbyState
import Crypto
import Foundation
import Synchronization

/// The audit log as the client's `WriteJournal`: each write a row in the state before it is sent,
/// completed when its answer comes (docs/audit.md).
///
/// The state is opened at the first write, so a run that only reads never touches it, and opened again
/// at the next write after a failure (a PostgreSQL that was restarting). The rows are written on a
/// queue of their own: the engines block, and Swift's cooperative threads must not.
package final class AuditJournal: WriteJournal {
  /// Who writes: the fields every row of this run carries.
  package struct Origin: Sendable {
    package var runID: String
    /// `run`, `repl`, `job`, `hook`, `apply`.
    package var origin: String
    package var job: String?
    package var hook: String?
    package var script: String?
    package var scriptSHA256: String?
    package init(runID: String, origin: String, job: String? = nil, hook: String? = nil) {
      (self.runID, self.origin, self.job, self.hook) = (runID, origin, job, hook)
    }
  }

  private let open: @Sendable () throws -> StateStore
  private let store = Mutex<StateStore?>(nil)
  private let origin: Mutex<Origin>
  private let queue = DispatchQueue(label: "ashby-lua.audit")
  private let batch = Mutex(Batch())

  /// What waits for the next transaction: rows to store before their writes go out, and rows to complete.
  private struct Batch {
    struct Waiting {
      var record: AuditRecord
      var continuation: CheckedContinuation<Int64, any Error>
    }
    var begun: [Waiting] = []
    var ended: [AuditEnding] = []
    var writing = false
    var flushScheduled = false

    /// True when no drain is running and the caller must start one.
    mutating func add(_ record: AuditRecord, _ continuation: CheckedContinuation<Int64, any Error>) -> Bool {
      begun.append(Waiting(record: record, continuation: continuation))
      return startWriting()
    }
    /// A write's end does not need the disk at once: it rides with the next rows stored before sending
    /// (one transaction, one wait for the disk, instead of two), or goes on its own a little later.
    /// True when the caller must schedule that later write.
    mutating func add(_ ending: AuditEnding) -> Bool {
      ended.append(ending)
      guard !writing, !flushScheduled else { return false }
      flushScheduled = true
      return true
    }
    /// The later write of ends: due unless a drain is under way (it takes them).
    mutating func flushDue() -> Bool {
      flushScheduled = false
      guard !ended.isEmpty || !begun.isEmpty else { return false }
      return startWriting()
    }
    mutating func startWriting() -> Bool {
      defer { writing = true }
      return !writing
    }
    /// Everything waiting; when nothing is, the drain stops.
    mutating func take() -> ([Waiting], [AuditEnding]) {
      defer { (begun, ended) = ([], []) }
      if begun.isEmpty && ended.isEmpty { writing = false }
      return (begun, ended)
    }
  }

  /// How long a write waits for a state that cannot record it before it is refused: a PostgreSQL
  /// restarting comes back within it, and the write goes out then.
  private let patience: Duration
  /// Said once per run, however many writes wait.
  private let toldWaiting = Atomic(false)

  package init(
    origin: Origin, patience: Duration = AuditJournal.interactivePatience,
    open: @escaping @Sendable () throws -> StateStore
  ) {
    self.origin = Mutex(origin)
    self.patience = patience
    self.open = open
  }

  /// A person at `run` or `repl` learns soon that the state is down.
  package static let interactivePatience: Duration = .seconds(5)
  /// A scheduled run waits out a database restart (its own time limit still holds).
  package static let scheduledPatience: Duration = .seconds(120)

  /// A new run's id: twelve hex digits, unique enough to find one run among a year of them.
  package static func newRunID() -> String {
    String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12)).lowercased()
  }

  /// The state the rows go to, opened anew (a plan is kept beside them).
  package func openState() throws -> StateStore { try open() }

  /// The script whose writes these are. Its SHA-256 is taken at the first write, and only of a regular
  /// file: `-`, `/dev/stdin` or `<(…)` are read once, by Lua.
  package func script(_ path: String?) {
    origin.withLock { $0.script = path }
  }

  package func begin(_ write: JournalWrite) async throws -> Int64 {
    let who = origin.withLock { $0 }
    let record = AuditRecord(
      time: Date(), runID: who.runID, origin: who.origin, job: who.job, hook: who.hook, script: who.script,
      action: write.action, endpoint: write.endpoint, params: Self.text(Self.kept(write.params)),
      before: write.before.map(Self.text), planID: write.planID, planStep: write.planStep)
    let deadline = ContinuousClock.now.advanced(by: patience)
    while true {
      do {
        return try await stored(record)
      } catch {
        guard ContinuousClock.now < deadline, !Task.isCancelled else { throw error }
        if !toldWaiting.exchange(true, ordering: .relaxed) {
          Console.error("ashby-lua: the audit log cannot record a write yet (\(error)); it waits for the state, up to \(patience.components.seconds) s")
        }
        try? await Task.sleep(for: .milliseconds(500))
      }
    }
  }

  /// Queued, not awaited: the write's answer goes back to the script at once, and the row is completed
  /// behind it (the begin row is what must be stored before sending; `settle` waits for these at the end).
  package func end(_ id: Int64, _ outcome: JournalOutcome) async {
    let ending = AuditEnding(
      id: id, outcome: outcome.result.rawValue, objectID: outcome.objectID, requestID: outcome.requestID,
      error: outcome.error)
    if batch.withLock({ $0.add(ending) }) {
      queue.asyncAfter(deadline: .now() + Self.endDelay) {
        if self.batch.withLock({ $0.flushDue() }) { self.drain() }
      }
    }
  }

  /// How long a write's end waits for rows to share a transaction with.
  static let endDelay = DispatchTimeInterval.milliseconds(20)

  package func settle() async {
    if batch.withLock({ $0.flushDue() }) { queue.async { self.drain() } }
    _ = try? await onQueue {}
  }

  /// One attempt at the `pending` row, stored with whatever else is waiting.
  private func stored(_ record: AuditRecord) async throws -> Int64 {
    try await withCheckedThrowingContinuation { continuation in
      if batch.withLock({ $0.add(record, continuation) }) { queue.async { self.drain() } }
    }
  }

  /// Writes batches until nothing waits (group commit, as the daemon's webhook intake does).
  private func drain() {
    while true {
      let (begun, ended) = batch.withLock { $0.take() }
      guard !begun.isEmpty || !ended.isEmpty else { return }
      let digest = scriptDigest()
      let records = begun.map { waiting in
        var record = waiting.record
        record.scriptSHA256 = digest
        return record
      }
      do {
        let ids = try opened().recordWrites(begun: records, ended: ended)
        for (waiting, id) in zip(begun, ids) { waiting.continuation.resume(returning: id) }
      } catch {
        store.withLock { $0 = nil }  // opened anew: a connection the server dropped is gone
        for waiting in begun { waiting.continuation.resume(throwing: error) }
        // The endings once more on their own; a row left `pending` shows its outcome as unknown.
        if !ended.isEmpty { _ = try? opened().recordWrites(begun: [], ended: ended) }
      }
    }
  }

  /// The script's SHA-256, taken at the first write (on the queue: reading a file blocks).
  private func scriptDigest() -> String? {
    origin.withLock { origin in
      if origin.scriptSHA256 == nil, let path = origin.script { origin.scriptSHA256 = Self.sha256(ofFile: path) }
      return origin.scriptSHA256
    }
  }

  static func sha256(ofFile path: String) -> String? {
    guard (try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeRegular,
      let data = FileManager.default.contents(atPath: path)
    else { return nil }
    return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
  }

  private func opened() throws -> StateStore {
    if let store = store.withLock({ $0 }) { return store }
    let fresh = try open()
    store.withLock { $0 = fresh }
    // Retention, once per run that writes: rows older than `audit_keep` days (config.toml), else a year.
    var days: Int?
    do {
      days = try AuthConfig.auditKeepDays(in: AuthConfig.readFile())
    } catch {
      Console.error("ashby-lua: \(error); the audit log keeps a year of rows meanwhile")
    }
    let kept = days.map { Double($0) * 86400 } ?? StateStore.auditKept
    try? fresh.pruneAudit(before: Date().addingTimeInterval(-kept))
    return fresh
  }

  private func onQueue<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
      queue.async { continuation.resume(with: Result { try body() }) }
    }
  }

  static func text(_ value: JSONValue) -> String { String(decoding: value.encoded(), as: UTF8.self) }

  /// The longest string kept as sent: a longer one is a file's body (a resume, base64), not a parameter to read.
  static let longestKept = 4096

  /// A parameter whose name says it holds a secret (`webhook.create`'s `secretToken`, a password) is kept
  /// as a mark that it was sent, never as its value.
  static func isSecret(_ name: String) -> Bool {
    let lower = name.lowercased()
    return ["secret", "token", "password", "apikey", "api_key"].contains { lower.contains($0) }
  }

  /// The params as they may be stored: secrets and file bodies out.
  static func kept(_ value: JSONValue) -> JSONValue {
    switch value {
    case .string(let text) where text.utf8.count > longestKept:
      return .string("(\(text.utf8.count) bytes, not kept)")
    case .array(let items): return .array(items.map(kept))
    case .object(let fields):
      var out: [String: JSONValue] = [:]
      for (name, field) in fields { out[name] = isSecret(name) && field != .null ? .string("(secret, not kept)") : kept(field) }
      return .object(out)
    default: return value
    }
  }
}

extension AuditJournal {
  /// `--state`'s help, for every command that records writes or reads the log.
  package static let stateHelp =
    "Where the audit log (and ashby.changes' places) are kept: a SQLite file, or postgres://user@host[:port]/db (default: $ASHBY_LUA_STATE, else the scheduler's file, $XDG_STATE_HOME/ashby-lua/schedule.sqlite)."

  /// The journal for a command's run, on its state: `--state`, else `ASHBY_LUA_STATE`, else the default
  /// SQLite file (the scheduler's). A PostgreSQL state in a program that lacks it hands over now, before
  /// anything runs.
  package static func forCommand(state flag: String?, origin: String) -> AuditJournal {
    let spec = StateLocation.choose(flag: flag, file: nil)
    Handover.ifPostgres(spec)
    return AuditJournal(origin: Origin(runID: newRunID(), origin: origin)) {
      try opening(spec, passwordCommand: nil)
    }
  }

  /// The journal of a scheduled run, on the daemon's state, in the daemon's run's name.
  package static func forScheduledRun(_ target: RunInput.AuditTarget) -> AuditJournal? {
    guard let spec = target.state else { return nil }
    let origin = Origin(
      runID: target.runID.map(String.init) ?? newRunID(), origin: target.origin,
      job: target.origin == "job" ? target.name : nil, hook: target.origin == "hook" ? target.name : nil)
    return AuditJournal(origin: origin, patience: scheduledPatience) {
      try opening(spec, passwordCommand: target.passwordCommand)
    }
  }

  private static func opening(_ spec: String, passwordCommand: String?) throws -> StateStore {
    do {
      return try StateLocation.store(spec, passwordCommand: passwordCommand, postgres: ProgramParts.postgres)
    } catch {
      throw StateLocation.Unopened(spec: spec, error: error)
    }
  }
}
