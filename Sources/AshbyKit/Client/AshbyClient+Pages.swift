import AshbyJSON

/// Every item of a paged endpoint, one page in memory at a time.
///
/// Follows `nextCursor` while `moreDataAvailable`. With a `syncToken` it asks
/// only for changes; when Ashby says the token is expired, invalid or the
/// change set too large, it drops the token and does a full sync instead.
public final class AshbyPages: AsyncSequence, AsyncIteratorProtocol, @unchecked Sendable {
  public typealias Element = JSONValue

  private let client: AshbyClient
  private let endpoint: String
  private var params: [String: JSONValue]
  /// The page fetched last, as Ashby sent it, until it is handed out or decoded.
  private var pending: RawJSON?
  /// The page `next()` is walking through.
  private var items: [JSONValue] = []
  private var index = 0
  private var cursor: String?
  private var finished = false
  private var started = false

  /// The token to store for the next incremental sync (set after the last page).
  public private(set) var syncToken: String?
  /// True when a given sync token was refused and a full sync ran instead.
  public var fellBackToFullSync: Bool { fullSyncReason != nil }
  /// Ashby's error code for the refused token (`sync_token_expired`, ...).
  public private(set) var fullSyncReason: String?
  /// Pages fetched so far.
  public private(set) var pagesFetched = 0

  static let syncTokenFailures: Set<String> = [
    "sync_token_expired", "sync_token_invalid", "incremental_sync_too_large",
  ]

  init(client: AshbyClient, endpoint: String, params: [String: JSONValue]) {
    self.client = client
    self.endpoint = endpoint
    self.params = params
  }

  public func makeAsyncIterator() -> AshbyPages { self }

  /// The next page's items as a JSON array (Ashby's own text, undecoded), or
  /// nil after the last page. Empty pages are skipped.
  public func nextPage() async throws(AshbyError) -> RawJSON? {
    if index < items.count {  // the rest of a page `next()` started
      defer { index = items.count }
      return RawJSON(encoding: .array(Array(items[index...])))
    }
    while true {
      if let page = pending {
        pending = nil
        if !page.isEmptyList { return page }
      }
      if finished { return nil }
      try await fetch()
    }
  }

  public func next() async throws(AshbyError) -> JSONValue? {
    while index >= items.count {
      if let page = pending {
        pending = nil
        (items, index) = (page.value.array ?? [], 0)
        continue
      }
      if finished { return nil }
      try await fetch()
    }
    defer { index += 1 }
    return items[index]
  }

  private func fetch() async throws(AshbyError) {
    var request = params
    if let cursor { request["cursor"] = .string(cursor) }
    let response: AshbyResponse
    do {
      response = try await client.send(endpoint, .object(request))
    } catch {
      if !started, let code = error.code, Self.syncTokenFailures.contains(code), params["syncToken"] != nil {
        params["syncToken"] = nil
        fullSyncReason = code
        return try await fetch()
      }
      throw error
    }
    started = true
    pagesFetched += 1
    pending = response.rawResults
    if let token = response.syncToken { syncToken = token }
    if response.moreDataAvailable, let next = response.nextCursor {
      cursor = next
    } else {
      finished = true
    }
  }
}

extension AshbyClient {
  /// Iterates every item of a paged list endpoint (`candidate.list`, `job.list`, ...).
  public func pages(_ endpoint: String, _ params: [String: JSONValue] = [:]) -> AshbyPages {
    AshbyPages(client: self, endpoint: endpoint, params: params)
  }

  /// Collects every item (for lists that are known to be small, or when all are needed).
  public func all(_ endpoint: String, _ params: [String: JSONValue] = [:]) async throws(AshbyError) -> [JSONValue] {
    var items: [JSONValue] = []
    let pages = self.pages(endpoint, params)
    while let item = try await pages.next() { items.append(item) }
    return items
  }
}
