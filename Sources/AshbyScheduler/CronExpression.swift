import Foundation

/// A cron schedule: five fields (minute hour day-of-month month day-of-week)
/// or one of the `@daily` macros, as Vixie cron and cronie read them.
///
/// Names (`jan`, `mon`) work in the month and weekday fields, `7` is Sunday
/// too, and when both day fields are restricted a day matching either one
/// fires (the classic cron rule). `@reboot` is refused: a daemon restart is
/// not a schedule.
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
  public let description: String
  public let minutes: Set<Int>
  public let hours: Set<Int>
  public let daysOfMonth: Set<Int>
  public let months: Set<Int>
  /// 0 = Sunday ... 6 = Saturday.
  public let weekdays: Set<Int>
  public let dayOfMonthRestricted: Bool
  public let weekdayRestricted: Bool
  /// The minute or the hour field starts with `*` (`*`, `*/15`): cronie runs
  /// such a job "normally" across a DST change (not in a skipped hour, again
  /// in a repeated one) and a fixed-time job once (see `next(after:in:)`).
  let isWildcard: Bool

  /// `@daily`, built without parsing.
  static let midnight = CronExpression(
    description: "@daily", minutes: [0], hours: [0], daysOfMonth: Set(1...31), months: Set(1...12),
    weekdays: Set(0...6), dayOfMonthRestricted: false, weekdayRestricted: false, isWildcard: false)

  private init(
    description: String, minutes: Set<Int>, hours: Set<Int>, daysOfMonth: Set<Int>, months: Set<Int>,
    weekdays: Set<Int>, dayOfMonthRestricted: Bool, weekdayRestricted: Bool, isWildcard: Bool
  ) {
    self.description = description
    self.minutes = minutes
    self.hours = hours
    self.daysOfMonth = daysOfMonth
    self.months = months
    self.weekdays = weekdays
    self.dayOfMonthRestricted = dayOfMonthRestricted
    self.weekdayRestricted = weekdayRestricted
    self.isWildcard = isWildcard
  }

  public struct ParseError: Error, CustomStringConvertible {
    public let description: String
  }

  static let macros = [
    "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
  ]
  static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
  static let weekdayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

  public init(_ text: String) throws(ParseError) {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    description = trimmed
    var expanded = trimmed
    if trimmed.hasPrefix("@") {
      guard let fields = Self.macros[trimmed.lowercased()] else {
        throw ParseError(
          description: "unknown macro \"\(trimmed)\"; use one of \(Self.macros.keys.sorted().joined(separator: ", "))")
      }
      expanded = fields
    }
    let fields = expanded.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    guard fields.count == 5 else {
      throw ParseError(
        description:
          "\"\(trimmed)\" has \(fields.count) field\(fields.count == 1 ? "" : "s"); cron needs 5: minute hour day-of-month month day-of-week"
      )
    }
    minutes = try Self.field(fields[0], "minute", 0...59)
    hours = try Self.field(fields[1], "hour", 0...23)
    daysOfMonth = try Self.field(fields[2], "day-of-month", 1...31)
    months = try Self.field(fields[3], "month", 1...12, names: Self.monthNames, firstName: 1)
    let days = try Self.field(fields[4], "day-of-week", 0...7, names: Self.weekdayNames, firstName: 0)
    weekdays = Set(days.map { $0 % 7 })
    dayOfMonthRestricted = !fields[2].hasPrefix("*")
    weekdayRestricted = !fields[4].hasPrefix("*")
    isWildcard = fields[0].hasPrefix("*") || fields[1].hasPrefix("*")
    if !weekdayRestricted, let first = daysOfMonth.min(), months.allSatisfy({ Self.maxDays(inMonth: $0) < first }) {
      throw ParseError(description: "\"\(trimmed)\" never fires: no chosen month has day \(first)")
    }
  }

  /// True when the wall-clock time matches (month 1-12, weekday 0 = Sunday).
  func matches(month: Int, day: Int, weekday: Int, hour: Int, minute: Int) -> Bool {
    months.contains(month) && matchesDay(day: day, weekday: weekday) && hours.contains(hour)
      && minutes.contains(minute)
  }

  /// cronie's rule: when either day field starts with `*` (`*`, `*/2`) both
  /// must match; when neither does, either one may.
  func matchesDay(day: Int, weekday: Int) -> Bool {
    if dayOfMonthRestricted && weekdayRestricted { return daysOfMonth.contains(day) || weekdays.contains(weekday) }
    return daysOfMonth.contains(day) && weekdays.contains(weekday)
  }

  static func maxDays(inMonth month: Int) -> Int { month == 2 ? 29 : [4, 6, 9, 11].contains(month) ? 30 : 31 }

  /// One field: `*`, `5`, `1-5`, `*/15`, `1-30/10`, `mon-fri`, and lists of them.
  private static func field(
    _ text: String, _ name: String, _ range: ClosedRange<Int>, names: [String] = [], firstName: Int = 0
  ) throws(ParseError) -> Set<Int> {
    func fail(_ why: String) -> ParseError { ParseError(description: "\(name) field \"\(text)\": \(why)") }
    func value(_ s: Substring) throws(ParseError) -> Int {
      if let i = names.firstIndex(of: s.lowercased()) { return i + firstName }
      guard let n = Int(s) else { throw fail("\"\(s)\" is not a number\(names.isEmpty ? "" : " or a name")") }
      guard range.contains(n) else { throw fail("\(n) is outside \(range.lowerBound)-\(range.upperBound)") }
      return n
    }
    var result = Set<Int>()
    for part in text.split(separator: ",", omittingEmptySubsequences: false) {
      let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
      guard pieces.count <= 2, let base = pieces.first, !base.isEmpty else { throw fail("\"\(part)\" is malformed") }
      var step = 1
      if pieces.count == 2 {
        guard let s = Int(pieces[1]), s > 0 else { throw fail("step \"\(pieces[1])\" must be a positive number") }
        step = s
      }
      let low: Int
      let high: Int
      if base == "*" {
        (low, high) = (range.lowerBound, range.upperBound)
      } else if let dash = base.firstIndex(of: "-") {
        low = try value(base[..<dash])
        high = try value(base[base.index(after: dash)...])
        guard low <= high else { throw fail("range \(base) runs backwards") }
      } else {
        low = try value(base)
        high = pieces.count == 2 ? range.upperBound : low  // `5/15` means 5-max/15, as in cronie
      }
      result.formUnion(stride(from: low, through: high, by: step))
    }
    return result
  }
}
