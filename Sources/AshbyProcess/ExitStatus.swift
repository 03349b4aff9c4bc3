/// Exit codes, as DESIGN.md §3 fixes them: what `ashby-lua` exits with, what
/// a scheduled run's child reports, what the history records. One home, so
/// the CLI, the child and the daemon read a code the same way.
public enum ExitStatus {
  public static let ok: Int32 = 0
  /// The script raised (or a check failed).
  public static let scriptError: Int32 = 1
  /// Bad usage: flags, a file that is not there, a schedule that does not parse.
  public static let usage: Int32 = 2
  /// The key was refused or lacks a permission.
  public static let auth: Int32 = 3
  /// Ctrl-C, or a stop that cut a run short.
  public static let interrupted: Int32 = 130

  /// The code a shell reports for a process ended by `signal`.
  public static func signalled(_ signal: Int32) -> Int32 { 128 + signal }

  /// Whether another attempt could end otherwise: not a usage or auth problem,
  /// which the next attempt would meet again.
  public static func mayRetry(_ code: Int32) -> Bool { code != usage && code != auth }
}

/// Which of a run's limits ended it, as the child reports it.
public enum RunLimit: String, Codable, Sendable {
  /// `timeout` (the count hook's deadline, or the watchdog's).
  case time
  /// `max_memory`.
  case memory
}

/// The ranges a run's settings take, wherever they are written: `ashby-lua
/// run`'s flags, a profile, the schedule file. (The VM's own bound on a time
/// limit, `LuaVM.maxTimeLimit`, is at least `maxTimeout`.)
public enum RunLimits {
  /// The longest `timeout`, in seconds: a year.
  public static let maxTimeout: Double = 366 * 24 * 3600
  /// `max_memory`, in MB.
  public static let memoryMB = 1...(1 << 20)
  /// Calls in flight at once.
  public static let concurrency = 1...1000
  /// `rate_limit`, requests per minute.
  public static let rateLimit = 1...1_000_000
  /// `max_writes`, writes per run (0: a run that may only read).
  public static let maxWrites = 0...1_000_000_000
}
