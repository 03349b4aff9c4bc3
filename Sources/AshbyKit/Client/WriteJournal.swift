import AshbyJSON
import Foundation
import Synchronization

/// Where every write is recorded before it is sent (the audit log): the client
/// asks it before a write goes out and tells it how the write ended.
///
/// `begin` throwing means the write is not sent (a write nobody could account
/// for must not happen); `end` is best effort: a row left `pending` reads as
/// "outcome unknown", which is the truth when nothing more could be recorded.
public protocol WriteJournal: Sendable {
  func begin(_ write: JournalWrite) async throws -> Int64
  /// May return before the row is stored: `settle` waits for every one.
  func end(_ id: Int64, _ outcome: JournalOutcome) async
  /// Returns once every `end` so far is stored (the client's `shutdown` waits for it).
  func settle() async
}

extension WriteJournal {
  public func settle() async {}
}

/// One write about to go out.
public struct JournalWrite: Sendable {
  public var endpoint: String
  /// The parameters as sent.
  public var params: JSONValue
  /// The action that made it (`advance_application`), nil for `ashby.call`.
  public var action: String?
  /// What the action read of the object before changing it, when it read it anyway.
  public var before: JSONValue?
  /// The plan and its step, when `apply` makes it.
  public var planID: String?
  public var planStep: Int?

  public init(endpoint: String, params: JSONValue, action: String? = nil, before: JSONValue? = nil) {
    (self.endpoint, self.params, self.action, self.before) = (endpoint, params, action, before)
  }
}

/// How a recorded write ended.
public struct JournalOutcome: Sendable {
  /// `refused`: never sent (a write cap), recorded so the log shows what the run tried.
  public enum Result: String, Sendable { case ok, failed, ambiguous, refused }
  public var result: Result
  /// What the write created or changed (its `results.id`).
  public var objectID: String?
  public var requestID: String?
  /// The error's text, when it failed.
  public var error: String?

  public init(result: Result, objectID: String? = nil, requestID: String? = nil, error: String? = nil) {
    self.result = result
    self.objectID = objectID
    self.requestID = requestID
    self.error = error
  }
}

/// What the action under way knows about its writes, for the journal: its name, and the before-image
/// it read. A task-local, so the client's one write path learns it without every call passing it.
public final class WriteContext: Sendable {
  @TaskLocal public static var current: WriteContext?
  public let action: String
  /// The plan and its step, when `apply` makes the write.
  public let plan: (id: String, step: Int)?
  private let beforeImage = Mutex<JSONValue?>(nil)
  private let targetRead = Mutex<JSONValue?>(nil)

  public init(action: String, plan: (id: String, step: Int)? = nil) {
    self.action = action
    self.plan = plan
  }

  /// The before-image, for the first write after it was read: the one that changes what it shows
  /// (a stage change), not the note written after it.
  func takeBefore() -> JSONValue? { beforeImage.withLock { image in defer { image = nil }; return image } }
  /// The object the action read before writing to it, whole (a plan takes its candidate from it).
  func takeTarget() -> JSONValue? { targetRead.withLock { read in defer { read = nil }; return read } }
  func noteTarget(_ object: JSONValue, before: JSONValue) {
    targetRead.withLock { $0 = object }
    beforeImage.withLock { $0 = before }
  }
  /// `apply` gives the plan's before-image: what it checked the target against just before.
  public func noteBefore(_ before: JSONValue?) { beforeImage.withLock { $0 = before } }
}

extension AshbyClient {
  /// The write cap (`--max-writes`, `max_writes`): refused before it is sent, as a `limit` error a script may catch.
  func claimWriteSlot(_ endpoint: String) throws(AshbyError) {
    guard let cap = configuration.maxWrites else { return }
    let claimed = writesClaimed.wrappingAdd(1, ordering: .relaxed).newValue
    guard claimed <= cap else {
      var error = AshbyError(
        .limit,
        "this run may make at most \(cap) write\(cap == 1 ? "" : "s") (--max-writes or max_writes); this one was not sent",
        endpoint: endpoint)
      error.limit = "writes"
      throw error
    }
  }

  /// Records a write the cap refused: it was never sent, and the log says what the run tried.
  func journalRefused(_ endpoint: String, _ params: JSONValue, _ error: AshbyError) async {
    guard let id = try? await journalBegin(endpoint, params), let journal = configuration.journal else { return }
    await journal.end(id, JournalOutcome(result: .refused, error: error.description))
  }

  /// A claimed slot given back: the write it was for was never sent.
  func releaseWriteSlot() {
    if configuration.maxWrites != nil { writesClaimed.subtract(1, ordering: .relaxed) }
  }

  /// Records `endpoint` in the journal before it is sent; a write that cannot be recorded is not sent.
  func journalBegin(_ endpoint: String, _ params: JSONValue) async throws(AshbyError) -> Int64? {
    guard let journal = configuration.journal else { return nil }
    let context = WriteContext.current
    // A write that changes fields keeps what they were (undo needs it): read for it unless the action read it.
    var before = context?.takeBefore()
    if before == nil { before = await beforeImage(endpoint, params) }
    var write = JournalWrite(endpoint: endpoint, params: params, action: context?.action, before: before)
    (write.planID, write.planStep) = (context?.plan?.id, context?.plan?.step)
    do {
      return try await journal.begin(write)
    } catch {
      throw AshbyError(
        .state, "the audit log cannot record this write, so it was not sent: \(error)", endpoint: endpoint)
    }
  }

  /// What a write created or changed, from its `results` (the audit log's `object_id`, a plan's real id for a stand-in).
  public static func objectID(of results: JSONValue) -> String? {
    results["id"]?.string ?? results["application"]?["id"]?.string ?? results["candidate"]?["id"]?.string
  }

  func journalEnd(_ id: Int64?, _ result: Result<AshbyResponse, AshbyError>) async {
    guard let id, let journal = configuration.journal else { return }
    switch result {
    case .success(let response):
      await journal.end(
        id, JournalOutcome(result: .ok, objectID: Self.objectID(of: response.results), requestID: response.requestId))
    case .failure(let error):
      let unknown = error.kind == .ambiguous || error.kind == .cancelled || error.kind == .timeout
      await journal.end(
        id, JournalOutcome(result: unknown ? .ambiguous : .failed, requestID: error.requestId, error: error.description))
    }
  }
}
