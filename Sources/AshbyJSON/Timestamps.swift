import Foundation

/// ISO 8601 times as Ashby wants them: UTC with milliseconds and `Z`.
///
/// Strict, by hand, and the only parser of times in the client: Foundation's
/// formatter rolls impossible dates over (February 30 becomes March 2) and
/// takes years and offsets no calendar has. This one reads RFC 3339's
/// profile of ISO 8601 and refuses everything else: `YYYY-MM-DDTHH:MM:SS`,
/// an optional fraction (1 to 9 digits), then `Z` or `±HH:MM`; years 1900 to
/// 9999, days that exist in that month, offsets up to 18 hours. A leap second
/// (`:60`) is refused, as Ashby has no use for one. No locale is involved.
public enum Timestamps {
  public static let years = 1900...9999

  /// Parses a time with `Z` or an offset; nil for anything else (no zone included).
  public static func parse(_ s: String) -> Date? {
    var scanner = DigitScanner(Array(s.utf8))
    guard let year = scanner.number(4), scanner.take("-"), let month = scanner.number(2), scanner.take("-"),
      let day = scanner.number(2), scanner.take("T") || scanner.take("t"),
      let hour = scanner.number(2), scanner.take(":"), let minute = scanner.number(2), scanner.take(":"),
      let second = scanner.number(2)
    else { return nil }
    var milliseconds = 0  // Ashby keeps milliseconds: finer digits are dropped here, once
    if scanner.take(".") {
      guard let (digits, value) = scanner.digits(max: 9) else { return nil }
      milliseconds = digits >= 3 ? value / Int(pow(10, Double(digits - 3))) : value * Int(pow(10, Double(3 - digits)))
    }
    var offset = 0
    if scanner.take("Z") || scanner.take("z") {
      offset = 0
    } else {
      let sign: Int
      if scanner.take("+") { sign = 1 } else if scanner.take("-") { sign = -1 } else { return nil }
      guard let hours = scanner.number(2), scanner.take(":"), let minutes = scanner.number(2), hours <= 18,
        minutes <= 59, hours * 60 + minutes <= 18 * 60
      else { return nil }
      offset = sign * (hours * 3600 + minutes * 60)
    }
    guard scanner.atEnd, years.contains(year), (1...12).contains(month),
      (1...daysIn(month: month, year: year)).contains(day), hour <= 23, minute <= 59, second <= 59
    else { return nil }
    let days = daysFromCivil(year: year, month: month, day: day)
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
    return Date(timeIntervalSince1970: Double(seconds * 1000 + milliseconds) / 1000)
  }

  /// `2026-03-02T15:00:00.000Z`. Times here are whole milliseconds (as
  /// `parse` makes them), so the nearest millisecond is the exact one.
  public static func format(_ d: Date) -> String {
    let totalMS = Int((d.timeIntervalSince1970 * 1000).rounded())
    let ms = ((totalMS % 1000) + 1000) % 1000
    let totalSeconds = (totalMS - ms) / 1000
    let secondOfDay = ((totalSeconds % 86_400) + 86_400) % 86_400
    let (year, month, day) = civilFromDays((totalSeconds - secondOfDay) / 86_400)
    func pad(_ n: Int, _ width: Int) -> String {
      let digits = String(n)
      return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
    return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):"
      + "\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(ms, 3))Z"
  }

  /// The time in UTC `Z` form, or nil when it does not parse or has no zone.
  public static func utc(_ s: String) -> String? { parse(s).map(format) }

  static func daysIn(month: Int, year: Int) -> Int {
    switch month {
    case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
  }

  /// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
  static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
  }

  static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let day = doy - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
  }
}

/// Reads fixed-width ASCII numbers and literal characters, front to back.
private struct DigitScanner {
  let bytes: [UInt8]
  var at = 0

  init(_ bytes: [UInt8]) { self.bytes = bytes }

  var atEnd: Bool { at == bytes.count }

  mutating func take(_ c: Unicode.Scalar) -> Bool {
    guard at < bytes.count, bytes[at] == UInt8(ascii: c) else { return false }
    at += 1
    return true
  }

  /// Exactly `width` digits.
  mutating func number(_ width: Int) -> Int? {
    guard at + width <= bytes.count else { return nil }
    var value = 0
    for c in bytes[at..<at + width] {
      guard c >= 0x30, c <= 0x39 else { return nil }
      value = value * 10 + Int(c - 0x30)
    }
    at += width
    return value
  }

  /// One to `max` digits: how many, and their value.
  mutating func digits(max: Int) -> (Int, Int)? {
    var count = 0
    var value = 0
    while at < bytes.count, bytes[at] >= 0x30, bytes[at] <= 0x39 {
      guard count < max else { return nil }
      value = value * 10 + Int(bytes[at] - 0x30)
      count += 1
      at += 1
    }
    return count > 0 ? (count, value) : nil
  }
}
