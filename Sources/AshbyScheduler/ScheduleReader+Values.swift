import Foundation
import TOMLKit

/// The bounds and value forms the schedule file's keys take.
extension ScheduleReader {
  /// The longest `retry_delay`.
  public static let maxRetryDelay: Double = 24 * 3600

  /// Why `name` cannot be an `env` variable, or nil: a shell-style name, not
  /// the key's (secrets do not belong in a file others read) nor the daemon's own.
  static func badEnvironmentName(_ name: String) -> String? {
    let ok = !name.isEmpty && name.count <= 128 && name.first.map { $0 == "_" || ($0.isASCII && $0.isLetter) } == true
      && name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    if !ok { return "a variable name is letters, digits and _ (not first a digit)" }
    if name == "ASHBY_API_KEY" || name.hasPrefix("ASHBY_LUA_") {
      return "set by ashby-lua itself (the key comes from the daemon's environment or profile)"
    }
    return nil
  }

  /// `plans`: the folder `plan_only` runs save their plans in, beside the file unless absolute (default `plans/`).
  mutating func plansFolder(in root: TOMLTable) -> String {
    let given = root["plans"]
    if given != nil && (given?.string ?? "").isEmpty {
      problem(Place(section: "", occurrence: 0, label: "plans"), nil, "must be a folder's path (before any table)")
    }
    let path = given?.string.flatMap { $0.isEmpty ? nil : $0 } ?? "plans"
    return path.hasPrefix("/") ? path : URL(fileURLWithPath: folder).appendingPathComponent(path).path
  }

  /// `delivery_retention`: how long a delivery's id is kept, a day to ten years.
  mutating func deliveryRetention(in root: TOMLTable) -> TimeInterval? {
    guard let value = root["delivery_retention"] else { return nil }
    if let seconds = Self.seconds(value),
      (ScheduleFile.minDeliveryRetention...ScheduleFile.maxDeliveryRetention).contains(seconds)
    {
      return seconds
    }
    problem(
      Place(section: "", occurrence: 0, label: "delivery_retention"), nil,
      "must be a duration from a day to ten years, like \"7d\" (longer than Ashby's retries, about three hours)")
    return nil
  }

  /// 90, 1.5, "90s", "15m", "2h"; nil for anything not finite (TOML has inf and nan).
  static func seconds(_ value: any TOMLValueConvertible) -> Double? {
    guard let seconds = parseSeconds(value), seconds.isFinite else { return nil }
    return seconds
  }

  private static func parseSeconds(_ value: any TOMLValueConvertible) -> Double? {
    if let i = value.int { return Double(i) }
    if let d = value.double { return d }
    guard let text = value.string?.trimmingCharacters(in: .whitespaces), let unit = text.last else { return nil }
    let scale: Double
    switch unit {
    case "s": scale = 1
    case "m": scale = 60
    case "h": scale = 3600
    case "d": scale = 86400
    default: return nil
    }
    return Double(text.dropLast()).map { $0 * scale }
  }
}

extension ScheduleFile {
  /// A duration as the file writes one (90, "90s", "15m", "2h", "7d"), for a flag that takes the same.
  public static func duration(_ text: String) -> Double? { ScheduleReader.seconds(text) }
}
