/// How a script runs, apart from how it was asked for: `run`'s flags, a
/// scheduled job's keys (the daemon hands them to its run as data, in
/// `RunInput`), and `run script.lua` with no flags (`defaults`).
public struct RunSettings: Codable, Sendable, Equatable {
  /// An in-process fake Ashby with demo data, no key.
  public var fake = false
  public var dryRun = false
  public var baseURL: String?
  public var profile = "default"
  public var sandbox = false
  public var looseResults = false
  public var apiVersion: String?
  public var onBehalfOf: String?
  /// Seconds (`RunLimits.maxTimeout` at most).
  public var timeout: Double?
  /// MB (`RunLimits.memoryMB`).
  public var maxMemory: Int?
  public var concurrency = 16
  /// Requests per minute (`RunLimits.rateLimit`).
  public var rateLimit: Int?
  /// At most this many writes (`--max-writes`, `max_writes`).
  public var maxWrites: Int?
  /// At most this many requests to Ashby (`--max-requests`).
  public var maxRequests: Int?
  /// Save the dry run's writes as a plan in this file (`run --plan`, a `plan_only` job's runs).
  public var planFile: String?
  public var verbose = false
  public var quiet = false
  /// Record to, or replay from, a cassette (`run --record`, `--replay`).
  public var cassette: Cassette?

  /// A cassette's file and what to do with it.
  public struct Cassette: Codable, Sendable, Equatable {
    public enum Mode: String, Codable, Sendable {
      case record, replay, replayRecordingMissing
    }
    public var file: String
    public var mode: Mode
    /// Replace people's data by stand-ins in what is recorded.
    public var redact: Bool
    public init(file: String, mode: Mode, redact: Bool = true) {
      self.file = file
      self.mode = mode
      self.redact = redact
    }
  }

  public static let defaults = RunSettings()

  public init(
    fake: Bool = false, dryRun: Bool = false, baseURL: String? = nil, profile: String = "default", sandbox: Bool = false,
    looseResults: Bool = false, apiVersion: String? = nil, onBehalfOf: String? = nil, timeout: Double? = nil,
    maxMemory: Int? = nil, concurrency: Int = 16, rateLimit: Int? = nil, verbose: Bool = false, quiet: Bool = false
  ) {
    self.fake = fake
    self.dryRun = dryRun
    self.baseURL = baseURL
    self.profile = profile
    self.sandbox = sandbox
    self.looseResults = looseResults
    self.apiVersion = apiVersion
    self.onBehalfOf = onBehalfOf
    self.timeout = timeout
    self.maxMemory = maxMemory
    self.concurrency = concurrency
    self.rateLimit = rateLimit
    self.verbose = verbose
    self.quiet = quiet
  }
}
