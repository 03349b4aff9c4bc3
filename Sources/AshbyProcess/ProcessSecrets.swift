import Foundation
import Synchronization

/// Secrets from the environment, taken out of it before anything can read them.
///
/// `unsetenv` is not enough: it drops the variable from `environ`, but the
/// bytes stay in the block the kernel shows as `/proc/<pid>/environ`, which a
/// script (`io.open("/proc/self/environ")`), a `sandbox = false` run or the
/// same user's other processes can read. So each entry is also overwritten
/// where it lies, and the value lives on only here. Every secret the process
/// reads from its environment goes through `take`: the API key and
/// `PGPASSWORD` first thing in `main`, each hook's `secret_env` as soon as
/// the schedule file names it. A scheduled run gets the key from the daemon on
/// its input descriptor (`RunInput`), never in its environment.
public enum ProcessSecrets {
  public static let apiKeyVariable = "ASHBY_API_KEY"
  /// What `main` takes before anything else runs.
  public static let atStart = [apiKeyVariable, "PGPASSWORD"]
  private static let taken = Mutex<[String: String]>([:])

  /// Moves `names` out of the environment (and out of its memory) into this vault.
  /// Call before any thread can read the environment: first thing in `main`,
  /// and for the hooks' variables right after the schedule file is read.
  public static func take(_ names: some Sequence<String>) {
    for name in names {
      guard let value = getenv(name) else { continue }
      let text = String(cString: value)
      // getenv points at the value inside "NAME=value": the entry starts before it.
      let entry = value - (name.utf8.count + 1)
      let length = strlen(entry)
      unsetenv(name)
      memset(entry, 0, length)
      taken.withLock { $0[name] = text }
    }
  }

  /// The value `name` held when it was taken.
  public static func value(_ name: String) -> String? { taken.withLock { $0[name] } }

  /// The key `ASHBY_API_KEY` held at start, or the one the daemon gave this run.
  public static var apiKey: String? { value(apiKeyVariable) }

  /// A scheduled run's key, from its input (`ScheduledChild.attach`).
  package static func setAPIKey(_ key: String) { set(apiKeyVariable, key) }
  /// A secret a scheduled run is handed on its input descriptor (the key, the state's password).
  package static func set(_ name: String, _ value: String) { taken.withLock { $0[name] = value } }

  /// The environment as it was for the names taken: where a hook's secret
  /// or the state's password is looked up.
  public static var environment: [String: String] {
    let vault = taken.withLock { $0 }
    return ProcessInfo.processInfo.environment.merging(vault) { _, secret in secret }
  }

  /// `environ` as it is now (no secret is left in it), for a child.
  public static func environmentForChild() -> [String] {
    var entries: [String] = []
    var p = environ
    while let entry = p.pointee {
      entries.append(String(cString: entry))
      p += 1
    }
    return entries
  }
}
