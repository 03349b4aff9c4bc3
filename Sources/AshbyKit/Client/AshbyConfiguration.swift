import AshbyCatalog
import Foundation

/// How an `AshbyClient` talks to Ashby. The defaults suit the real API.
public struct AshbyConfiguration: Sendable {
  public var baseURL: URL
  public var apiKey: AshbyAPIKey?
  /// Requests per `rateWindow` for everything in this process (Ashby's limit is
  /// per key): no window of that length ever holds more (see `RateBudget`).
  public var requestsPerMinute: Int = 1000
  /// The window the budget counts in (a minute, as Ashby counts; shorter in tests).
  public var rateWindow: Duration = .seconds(60)
  /// How long a call keeps resending after 429s (each one unapplied) when the
  /// run has no deadline of its own.
  public var rateLimitPatience: Duration = .seconds(1800)
  /// Requests in flight at once (the HTTP connection pool's size).
  public var maxInFlight: Int = 16
  /// One request, from sending to the end of the body.
  public var requestTimeout: Duration = .seconds(30)
  /// All attempts of one call together.
  public var totalTimeout: Duration = .seconds(120)
  /// Attempts of a retryable call, the first included.
  public var maxAttempts: Int = 5
  /// First backoff step; it doubles per attempt up to `maxBackoff` (full jitter).
  public var baseBackoff: Duration = .milliseconds(250)
  public var maxBackoff: Duration = .seconds(20)
  /// Responses larger than this are refused before decoding.
  public var maxResponseBytes: Int = 64 << 20
  /// Resumes larger than this are not downloaded.
  public var maxResumeBytes: Int = 20 << 20
  /// Reads go out; writes are recorded (`AshbyClient.plannedWrites`) and
  /// answered with synthetic objects marked `dry_run = true`.
  public var dryRun = false
  /// Sent as `Ashby-Version` on every request: the dated API version.
  public var apiVersion: String = Catalog.apiVersion
  /// Sent as `X-On-Behalf-Of` on writes, so Ashby attributes them to that user
  /// (an id or an email); the key needs the permission to act on behalf of users.
  public var onBehalfOf: String?
  /// At most this many writes are sent (`--max-writes`); the next is refused with a `limit` error.
  public var maxWrites: Int?
  /// At most this many requests are sent, retries counted (`--max-requests`); the next is refused with a `limit` error.
  public var maxRequests: Int?
  /// Where each write is recorded before it is sent (the audit log); nil: nowhere.
  public var journal: (any WriteJournal)?
  /// Where exchanges are recorded, or answered from (`run --record`, `--replay`); nil: Ashby, unrecorded.
  public var cassette: Cassette?

  public static let defaultBaseURL = URL(string: "https://api.ashbyhq.com")!

  public init(baseURL: URL = AshbyConfiguration.defaultBaseURL, apiKey: AshbyAPIKey?) {
    self.baseURL = baseURL
    self.apiKey = apiKey
  }
}

extension Duration {
  var nanoseconds: Int64 {
    components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
  }
  var seconds: Double { Double(nanoseconds) / 1e9 }
}
