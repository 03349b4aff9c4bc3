import Synchronization

/// What this process asked of Ashby, counted: each HTTP request by class
/// (`read`, `write`) and status (`200`, `429`, ..., or an error kind such as
/// `network`), and how often the pacer held a request back. A scheduled run
/// hands it to the daemon in its report, for the daemon's metrics.
public final class RequestTally: Sendable {
  private let counts = Mutex<(requests: [String: Int], pacerWaits: Int)>(([:], 0))

  func request(write: Bool, status: String) {
    counts.withLock { $0.requests["\(write ? "write" : "read") \(status)", default: 0] += 1 }
  }

  func pacerWaited() { counts.withLock { $0.pacerWaits += 1 } }

  /// `"class status"` → requests.
  public var requests: [String: Int] { counts.withLock { $0.requests } }
  public var pacerWaits: Int { counts.withLock { $0.pacerWaits } }
}
