import AshbyJSON
import Foundation

/// Ashby's time filters on lists (`createdAfter`, `openedBefore`, ...): whole
/// milliseconds since the epoch, compared with the object's ISO time. Modelled
/// so that a script sending seconds (a date in 1970) sees what Ashby would
/// give it: everything, not the few it meant.
enum FakeTimeFilters {
  struct Filter {
    var parameter: String
    /// The object's ISO time it is compared with.
    var key: String
    /// Keeps times after the filter's (else before it).
    var after: Bool
  }

  static let byEndpoint: [String: [Filter]] = [
    "application.list": [Filter(parameter: "createdAfter", key: "createdAt", after: true)],
    "job.list": [
      Filter(parameter: "openedAfter", key: "openedAt", after: true),
      Filter(parameter: "openedBefore", key: "openedAt", after: false),
      Filter(parameter: "closedAfter", key: "closedAt", after: true),
      Filter(parameter: "closedBefore", key: "closedAt", after: false),
    ],
  ]

  struct Invalid: Error { var message: String }

  /// The items every given filter keeps; an object without the time is left out.
  static func apply(_ endpoint: String, _ items: [JSONObject], _ p: JSONObject) throws(Invalid) -> [JSONObject] {
    var kept = items
    for filter in byEndpoint[endpoint] ?? [] {
      guard let given = p[filter.parameter] else { continue }
      guard let ms = given.number, ms == ms.rounded() else {
        throw Invalid(message: "\(filter.parameter) must be an integer (milliseconds since the epoch)")
      }
      kept = kept.filter { item in
        guard let text = item[filter.key]?.string, let time = Timestamps.parse(text) else { return false }
        let itemMS = (time.timeIntervalSince1970 * 1000).rounded()
        return filter.after ? itemMS > ms : itemMS < ms
      }
    }
    return kept
  }
}
