import Foundation

/// A daemon's name in leases and in the history: `host:pid:start:nonce`.
///
/// The process's start time (from /proc) makes a pid reused after a crash a
/// different owner, so a restarted daemon knows at once which owners of its
/// own host are dead and takes their leases back (others wait for expiry).
public enum DaemonIdentity {
  public static func current() -> String {
    let pid = getpid()
    return "\(hostName):\(pid):\(startTime(of: pid) ?? 0):\(String(UInt16.random(in: 0...UInt16.max), radix: 16))"
  }

  /// The host's name, or `ASHBY_LUA_HOST` (a pod's name, or one of several
  /// daemons a test runs on one machine as if on several hosts).
  static var hostName: String {
    let environment = ProcessInfo.processInfo.environment
    let name = environment["ASHBY_LUA_HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? ProcessInfo.processInfo.hostName
    return name.replacingOccurrences(of: ":", with: "_")
  }

  /// Whether `owner` names a daemon of this host that is no longer running;
  /// false for other hosts' daemons and for names this cannot read.
  public static func isDeadHere(_ owner: String) -> Bool {
    let parts = owner.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 4, String(parts[0]) == hostName, let pid = pid_t(parts[1]), let start = UInt64(parts[2])
    else { return false }
    return startTime(of: pid) != start
  }

  /// Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot.
  static func startTime(of pid: pid_t) -> UInt64? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let close = stat.lastIndex(of: ")")
    else { return nil }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    return fields.count > 19 ? UInt64(fields[19]) : nil
  }
}
