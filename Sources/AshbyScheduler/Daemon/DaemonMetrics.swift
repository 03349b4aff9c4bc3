import AshbyState
import Foundation
import Metrics

/// What the daemon counts and times, through swift-metrics: the CLI picks
/// the backend (Prometheus, `/metrics`); without one these cost next to nothing.
/// Labels only take names from the schedule file and fixed words, never
/// what a request says, so a flood of made-up hook names adds no series.
public enum DaemonMetrics {
  /// Each series' `# HELP` line (swift-metrics has no place for one; the exporter adds them).
  public static let help: [String: String] = [
    "ashby_lua_runs_total": "Runs of cron jobs and hooks, by job or hook and final status.",
    "ashby_lua_run_seconds": "How long runs took, every attempt included, in seconds.",
    "ashby_lua_deliveries_total":
      "Webhook deliveries answered, by hook (unknown for a name not in the file) and outcome (accepted, duplicate, ignored, refused_<status>).",
    "ashby_lua_ack_seconds": "How long the listener took to answer a delivery, in seconds.",
    "ashby_lua_queue_depth": "Deliveries waiting or running, as of the scrape.",
    "ashby_lua_state_errors_total": "Writes to the state that failed and were tried again, by write.",
    "ashby_lua_lease_takeovers_total": "Leases another daemon took over from this one, by kind.",
    "ashby_lua_ashby_requests_total":
      "HTTP requests the runs made to Ashby, by class (read, write) and status (or error kind); 429s included.",
    "ashby_lua_pacer_waits_total": "Times the runs' pacer held a request back for the rate budget.",
  ]

  /// What a run's attempt asked of Ashby (its report): `"class status"` → requests, and the pacer's waits.
  public static func ashby(requests: [String: Int], pacerWaits: Int) {
    for (key, count) in requests where count > 0 {
      let parts = key.split(separator: " ", maxSplits: 1).map(String.init)
      guard parts.count == 2, ["read", "write"].contains(parts[0]), parts[1].count <= 24 else { continue }
      Counter(label: "ashby_lua_ashby_requests_total", dimensions: [("class", parts[0]), ("status", parts[1])])
        .increment(by: Int64(count))
    }
    if pacerWaits > 0 { Counter(label: "ashby_lua_pacer_waits_total").increment(by: Int64(pacerWaits)) }
  }

  /// A run (a cron job's or a hook's) ended with `status` after `seconds`.
  public static func run(_ job: String, status: RunStatus, seconds: Double) {
    Counter(label: "ashby_lua_runs_total", dimensions: [("job", job), ("status", status.rawValue)]).increment()
    Recorder(label: "ashby_lua_run_seconds", aggregate: true).record(max(0, seconds))
  }

  /// A delivery was answered: `outcome` is accepted, duplicate, ignored, or refused_<status>.
  public static func delivery(_ hook: String, outcome: String, seconds: Double) {
    Counter(label: "ashby_lua_deliveries_total", dimensions: [("hook", hook), ("outcome", outcome)]).increment()
    Recorder(label: "ashby_lua_ack_seconds", aggregate: true).record(max(0, seconds))
  }

  /// Deliveries waiting or running, as of a scrape.
  public static func queueDepth(_ count: Int) {
    Gauge(label: "ashby_lua_queue_depth").record(count)
  }

  /// A write to the state failed (it is tried again): `what` is "start", "end", "queue" or "intake".
  public static func stateError(_ what: String) {
    Counter(label: "ashby_lua_state_errors_total", dimensions: [("write", what)]).increment()
  }

  /// Another daemon took over a lease this one held (a job's or a delivery's).
  public static func leaseTakeover(_ kind: String) {
    Counter(label: "ashby_lua_lease_takeovers_total", dimensions: [("lease", kind)]).increment()
  }
}
