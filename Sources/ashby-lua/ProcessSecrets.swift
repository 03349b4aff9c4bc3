import Foundation
import Synchronization

/// The API key from the environment, taken out of it before anything else runs.
///
/// `unsetenv` is not enough: it drops the variable from `environ`, but the
/// bytes stay in the block the kernel shows as `/proc/<pid>/environ`, which a
/// script (`io.open("/proc/self/environ")`) or the same user's other
/// processes can read. So the entry is also overwritten where it lies. A
/// scheduled run gets the key from the daemon the same way (in its spawn
/// environment), and takes it out again at its own start.
enum ProcessSecrets {
  static let apiKeyVariable = "ASHBY_API_KEY"
  private static let taken = Mutex<String?>(nil)

  /// Call first thing in `main`, before any thread can read the environment.
  static func takeFromEnvironment() {
    guard let value = getenv(apiKeyVariable) else { return }
    let text = String(cString: value)
    // getenv points at the value inside "NAME=value": the entry starts before it.
    let entry = value - (apiKeyVariable.utf8.count + 1)
    let length = strlen(entry)
    unsetenv(apiKeyVariable)
    memset(entry, 0, length)
    taken.withLock { $0 = text }
  }

  /// The key `ASHBY_API_KEY` held at start, if it was set.
  static var apiKey: String? { taken.withLock { $0 } }

  /// `environ` for a child that needs the key: ours, plus the key.
  static func environmentForChild() -> [String] {
    var entries: [String] = []
    var p = environ
    while let entry = p.pointee {
      entries.append(String(cString: entry))
      p += 1
    }
    if let key = apiKey { entries.append("\(apiKeyVariable)=\(key)") }
    return entries
  }
}
