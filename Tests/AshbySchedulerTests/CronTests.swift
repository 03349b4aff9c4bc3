import Foundation
import Testing

@testable import AshbyScheduler

@Suite struct CronTests {
  static func date(_ text: String) -> Date {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime]
    guard let d = f.date(from: text) else { preconditionFailure("bad test date \(text)") }
    return d
  }

  static func zone(_ id: String) -> TimeZone {
    guard let z = TimeZone(identifier: id) else { preconditionFailure("no zone \(id)") }
    return z
  }

  func next(_ cron: String, after: String, in zone: String = "UTC") throws -> Date? {
    try CronExpression(cron).next(after: Self.date(after), in: Self.zone(zone))
  }

  @Test func fieldsStepsRangesNamesAndMacros() throws {
    #expect(try next("*/15 * * * *", after: "2026-03-02T10:07:00Z") == Self.date("2026-03-02T10:15:00Z"))
    #expect(try next("0 8 * * mon-fri", after: "2026-03-06T09:00:00Z") == Self.date("2026-03-09T08:00:00Z"))
    #expect(try next("0 8 * * 7", after: "2026-03-02T00:00:00Z") == Self.date("2026-03-08T08:00:00Z"))
    #expect(try next("5,35 1-2 * * *", after: "2026-03-02T01:35:00Z") == Self.date("2026-03-02T02:05:00Z"))
    #expect(try next("0 0 1 jan,jul *", after: "2026-03-02T00:00:00Z") == Self.date("2026-07-01T00:00:00Z"))
    #expect(try next("@hourly", after: "2026-03-02T10:00:00Z") == Self.date("2026-03-02T11:00:00Z"))
    #expect(try next("@weekly", after: "2026-03-02T10:00:00Z") == Self.date("2026-03-08T00:00:00Z"))
    #expect(try next("0 12 29 2 *", after: "2026-03-01T00:00:00Z") == Self.date("2028-02-29T12:00:00Z"))
  }

  @Test func bothDayFieldsMeanEither() throws {
    // The 13th, or any Friday: 2026-03-06 is a Friday before the 13th.
    #expect(try next("0 0 13 * fri", after: "2026-03-01T00:00:00Z") == Self.date("2026-03-06T00:00:00Z"))
    #expect(try next("0 0 13 * fri", after: "2026-03-06T00:00:00Z") == Self.date("2026-03-13T00:00:00Z"))
  }

  @Test func aDayFieldStartingWithAStarMeansBoth() throws {
    // cronie: `*/2` in day-of-month with a weekday is "odd days that are Mondays", not "every Monday".
    // 2026-03-02 is a Monday (even), 2026-03-09 a Monday (odd).
    #expect(try next("0 6 */2 * mon", after: "2026-03-01T00:00:00Z") == Self.date("2026-03-09T06:00:00Z"))
    #expect(try next("0 6 13 * */2", after: "2026-03-01T00:00:00Z") == Self.date("2026-06-13T06:00:00Z"))  // a Saturday
  }

  @Test func wallClockTimeInTheJobsZone() throws {
    // 08:00 in Berlin is 07:00Z in winter and 06:00Z in summer.
    #expect(
      try next("0 8 * * *", after: "2026-03-02T00:00:00Z", in: "Europe/Berlin") == Self.date("2026-03-02T07:00:00Z"))
    #expect(
      try next("0 8 * * *", after: "2026-07-01T00:00:00Z", in: "Europe/Berlin") == Self.date("2026-07-01T06:00:00Z"))
  }

  @Test func springForwardFiresOnceWhenTheClocksJump() throws {
    // New York, 2026-03-08: 02:00 EST becomes 03:00 EDT (07:00Z); 02:30 never happens.
    #expect(
      try next("30 2 * * *", after: "2026-03-08T06:00:00Z", in: "America/New_York") == Self.date("2026-03-08T07:00:00Z")
    )
    // Every half hour through the gap: 01:30 EST, then the jump (03:00 EDT) once, then 03:30 EDT.
    let cron = try CronExpression("*/30 * * * *")
    let times = cron.fireTimes(
      after: Self.date("2026-03-08T06:00:00Z"), through: Self.date("2026-03-08T07:45:00Z"),
      in: Self.zone("America/New_York"), limit: 10)
    #expect(times == ["2026-03-08T06:30:00Z", "2026-03-08T07:00:00Z", "2026-03-08T07:30:00Z"].map(Self.date))
  }

  @Test func fallBackFiresTheRepeatedTimeOnce() throws {
    // New York, 2026-11-01: 01:00-01:59 happens twice (EDT 05:xxZ, then EST 06:xxZ).
    let first = try next("30 1 * * *", after: "2026-11-01T04:00:00Z", in: "America/New_York")
    #expect(first == Self.date("2026-11-01T05:30:00Z"))
    #expect(
      try next("30 1 * * *", after: "2026-11-01T05:30:00Z", in: "America/New_York") == Self.date("2026-11-02T06:30:00Z")
    )
    // Started during the second 01:xx: the first 01:30 is past, so tomorrow's is next.
    #expect(
      try next("30 1 * * *", after: "2026-11-01T06:10:00Z", in: "America/New_York") == Self.date("2026-11-02T06:30:00Z")
    )
  }

  @Test(arguments: [
    ("* * * *", "has 4 fields"),
    ("60 * * * *", "minute field \"60\": 60 is outside 0-59"),
    ("* 24 * * *", "hour field"),
    ("* * 0 * *", "day-of-month field"),
    ("* * * foo *", "\"foo\" is not a number or a name"),
    ("* * * * 8", "outside 0-7"),
    ("*/0 * * * *", "step \"0\" must be a positive number"),
    ("5-1 * * * *", "runs backwards"),
    ("0 0 30 2 *", "never fires"),
    ("@reboot", "unknown macro"),
    ("1,,2 * * * *", "malformed"),
  ])
  func badExpressionsSayWhatIsWrong(text: String, expected: String) {
    #expect {
      try CronExpression(text)
    } throws: { error in
      "\(error)".contains(expected)
    }
  }

  /// cronie's rule for each field shape on both transitions, in two zones:
  /// fixed-time jobs (neither minute nor hour starts with `*`) fire a skipped
  /// time once at the jump and a repeated time once; wildcard jobs are
  /// scheduled normally (nothing in the gap, twice in the repeated hour).
  @Test(arguments: [
    // New York, 2026-03-08: 02:00 EST becomes 03:00 EDT at 07:00Z.
    ("America/New_York", "2026-03-08T05:00:00Z", "2026-03-08T09:00:00Z", "30 2 * * *", ["07:00"]),
    ("America/New_York", "2026-03-08T05:00:00Z", "2026-03-08T09:00:00Z", "0 2 * * *", ["07:00"]),
    ("America/New_York", "2026-03-08T05:00:00Z", "2026-03-08T09:00:00Z", "30 3 * * *", ["07:30"]),
    ("America/New_York", "2026-03-08T05:00:00Z", "2026-03-08T09:00:00Z", "0 1-3 * * *", ["06:00", "07:00"]),
    ("America/New_York", "2026-03-08T05:00:00Z", "2026-03-08T09:00:00Z", "30 * * * *", ["05:30", "06:30", "07:30", "08:30"]),
    ("America/New_York", "2026-03-08T05:00:00Z", "2026-03-08T09:00:00Z", "*/30 2 * * *", []),
    ("America/New_York", "2026-03-08T05:00:00Z", "2026-03-08T09:00:00Z", "0 */2 * * *", ["08:00"]),  // 00:00 EST is the window's open start; 02:00 never happens
    // New York, 2026-11-01: 02:00 EDT becomes 01:00 EST at 06:00Z; 01:xx happens twice.
    ("America/New_York", "2026-11-01T04:00:00Z", "2026-11-01T08:00:00Z", "30 1 * * *", ["05:30"]),
    ("America/New_York", "2026-11-01T04:00:00Z", "2026-11-01T08:00:00Z", "0 2 * * *", ["07:00"]),
    ("America/New_York", "2026-11-01T04:00:00Z", "2026-11-01T08:00:00Z", "0 1-3 * * *", ["05:00", "07:00", "08:00"]),
    ("America/New_York", "2026-11-01T04:00:00Z", "2026-11-01T08:00:00Z", "30 * * * *", ["04:30", "05:30", "06:30", "07:30"]),
    ("America/New_York", "2026-11-01T04:00:00Z", "2026-11-01T08:00:00Z", "*/20 1 * * *",
     ["05:00", "05:20", "05:40", "06:00", "06:20", "06:40"]),
    // Berlin, 2026-03-29: 02:00 CET becomes 03:00 CEST at 01:00Z.
    ("Europe/Berlin", "2026-03-29T00:00:00Z", "2026-03-29T03:00:00Z", "30 2 * * *", ["01:00"]),
    ("Europe/Berlin", "2026-03-29T00:00:00Z", "2026-03-29T03:00:00Z", "15,45 2 * * *", ["01:00"]),
    ("Europe/Berlin", "2026-03-29T00:00:00Z", "2026-03-29T03:00:00Z", "30 * * * *", ["00:30", "01:30", "02:30"]),
    ("Europe/Berlin", "2026-03-29T00:00:00Z", "2026-03-29T03:00:00Z", "* 2 * * *", []),
    // Berlin, 2026-10-25: 03:00 CEST becomes 02:00 CET at 01:00Z; 02:xx happens twice.
    ("Europe/Berlin", "2026-10-24T23:30:00Z", "2026-10-25T03:00:00Z", "30 2 * * *", ["00:30"]),
    ("Europe/Berlin", "2026-10-24T23:30:00Z", "2026-10-25T03:00:00Z", "15 2 * * *", ["00:15"]),
    ("Europe/Berlin", "2026-10-24T23:30:00Z", "2026-10-25T03:00:00Z", "30 * * * *", ["00:30", "01:30", "02:30"]),
    ("Europe/Berlin", "2026-10-24T23:30:00Z", "2026-10-25T03:00:00Z", "0 * * * *", ["00:00", "01:00", "02:00", "03:00"]),
  ])
  func daylightSavingAsCronie(zone: String, from: String, through: String, cron: String, expected: [String]) throws {
    let times = try CronExpression(cron).fireTimes(
      after: Self.date(from), through: Self.date(through), in: Self.zone(zone), limit: 50)
    let day = String(through.prefix(10))
    let start = String(from.prefix(10))
    let wanted = expected.map { hhmm in
      // Times before the window's end day belong to the start day (Berlin's fall-back window starts the evening before).
      let onStart = start != day && hhmm > String(from.dropFirst(11).prefix(5))
      return Self.date("\(onStart ? start : day)T\(hhmm):00Z")
    }
    #expect(times == wanted, "\(cron) in \(zone): \(times)")
  }
}
