import Foundation

/// How an `AshbyClient` talks to Ashby. The defaults suit the real API.
public struct AshbyConfiguration: Sendable {
  public var baseURL: URL
  public var apiKey: AshbyAPIKey?
  /// Requests per minute for everything in this process (Ashby's limit is per key).
  public var requestsPerMinute: Double = 1000
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
  /// Sent as `Ashby-Version` when set (a dated API version).
  public var apiVersion: String?

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
