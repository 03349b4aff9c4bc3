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
  ]

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
