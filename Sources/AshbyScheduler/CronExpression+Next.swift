import Foundation

extension CronExpression {
  /// The first fire time strictly after `date`, reading the fields as wall-clock
  /// time in `timeZone`; nil if it never fires in the next eight years.
  ///
  /// Daylight saving, as cronie does it (cron(8), "Daylight Saving Time and
  /// other time changes"). A job at a fixed time (neither the minute nor the
  /// hour field starts with `*`): a wall time the clocks skip (02:30 on a
  /// spring-forward night) fires once, when they jump; a wall time they repeat
  /// (01:30 on a fall-back night) fires once, the first time. A wildcard job
  /// (`*/15 * * * *`, `30 * * * *`) is scheduled normally: nothing in the
  /// skipped hour, and each repeated wall time twice.
  public func next(after date: Date, in timeZone: TimeZone) -> Date? {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = timeZone
    return isWildcard ? nextWildcard(after: date, calendar) : nextFixed(after: date, calendar)
  }

  /// The first instant after `date` whose wall time matches, in real time.
  /// Wall times are not in the order of instants across a fall-back, so the
  /// walk starts a few hours of wall time earlier and keeps the smallest
  /// instant it finds, until no later wall time can beat it (a DST change
  /// moves clocks by at most a few hours).
  private func nextWildcard(after date: Date, _ calendar: Calendar) -> Date? {
    let slack: TimeInterval = 4 * 3600
    guard var wall = WallTime(date.addingTimeInterval(-slack), calendar) else { return nil }
    var best: Date?
    let lastYear = wall.year + 8
    while wall.year <= lastYear, advanceToMatch(&wall, lastYear: lastYear) {
      let instants = wall.instants(in: calendar)
      for instant in instants where instant > date && instant < (best ?? .distantFuture) { best = instant }
      if let best, let first = instants.first, first > best.addingTimeInterval(slack) { break }
      wall.nextMinute()
    }
    return best
  }

  /// The first matching wall time after `date`'s whose moment is after `date`.
  private func nextFixed(after date: Date, _ calendar: Calendar) -> Date? {
    guard var wall = WallTime(date, calendar) else { return nil }
    wall.nextMinute()
    let lastYear = wall.year + 8
    while wall.year <= lastYear, advanceToMatch(&wall, lastYear: lastYear) {
      if let instant = wall.instant(in: calendar), instant > date { return instant }
      wall.nextMinute()
    }
    return nil
  }

  /// Moves `wall` to the first matching wall time at or after it; false past `lastYear`.
  private func advanceToMatch(_ wall: inout WallTime, lastYear: Int) -> Bool {
    while wall.year <= lastYear {
      if !months.contains(wall.month) {
        wall.nextMonth()
      } else if !matchesDay(day: wall.day, weekday: wall.weekday) {
        wall.nextDay()
      } else if !hours.contains(wall.hour) {
        wall.nextHour()
      } else if !minutes.contains(wall.minute) {
        wall.nextMinute()
      } else {
        return true
      }
    }
    return false
  }

  /// Every fire time in `(start, end]`, oldest first, at most `limit` of them (the latest ones).
  public func fireTimes(after start: Date, through end: Date, in timeZone: TimeZone, limit: Int) -> [Date] {
    var times: [Date] = []
    var cursor = start
    while let next = next(after: cursor, in: timeZone), next <= end {
      times.append(next)
      if times.count > limit { times.removeFirst() }
      cursor = next
    }
    return times
  }
}

/// A wall-clock minute in the proleptic Gregorian calendar, stepped without a time zone.
struct WallTime: Equatable {
  var year: Int
  var month: Int
  var day: Int
  var hour: Int
  var minute: Int

  static func daysIn(month: Int, year: Int) -> Int {
    if month == 2 { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28 }
    return CronExpression.maxDays(inMonth: month)
  }

  /// 0 = Sunday. (Days since 1970-01-01, a Thursday; Hinnant's days_from_civil.)
  var weekday: Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    let days = era * 146097 + doe - 719468
    return ((days + 4) % 7 + 7) % 7
  }

  mutating func nextMinute() {
    minute += 1
    if minute == 60 { nextHour() }
  }

  mutating func nextHour() {
    minute = 0
    hour += 1
    if hour == 24 { nextDay() }
  }

  mutating func nextDay() {
    (hour, minute) = (0, 0)
    day += 1
    if day > Self.daysIn(month: month, year: year) { nextMonth() }
  }

  mutating func nextMonth() {
    (day, hour, minute) = (1, 0, 0)
    month += 1
    if month == 13 { (year, month) = (year + 1, 1) }
  }

  var components: DateComponents { DateComponents(year: year, month: month, day: day, hour: hour, minute: minute) }

  /// Every moment this wall time happens in the calendar's zone, earliest
  /// first: none when the clocks skip it, two when they repeat it.
  func instants(in calendar: Calendar) -> [Date] {
    guard let guess = calendar.date(from: components) else { return [] }
    let found = [-3600.0, -1800, 0, 1800, 3600].map { guess.addingTimeInterval($0) }.filter { d in
      let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: d)
      return c.year == year && c.month == month && c.day == day && c.hour == hour && c.minute == minute
    }
    return found
  }

  /// The moment a fixed-time job fires for this wall time (see `next` for DST).
  func instant(in calendar: Calendar) -> Date? {
    let wanted = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute)
    guard let guess = calendar.date(from: wanted) else { return nil }
    func isThisWallTime(_ d: Date) -> Bool {
      let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: d)
      return c.year == year && c.month == month && c.day == day && c.hour == hour && c.minute == minute
    }
    guard isThisWallTime(guess) else {
      // Skipped by a spring-forward change: fire when the clocks jump.
      return calendar.timeZone.nextDaylightSavingTimeTransition(after: guess.addingTimeInterval(-3 * 3600)) ?? guess
    }
    // Repeated by a fall-back change: take the first of the two.
    let earlier = [3600.0, 1800].map { guess.addingTimeInterval(-$0) }.filter(isThisWallTime)
    return (earlier + [guess]).min() ?? guess
  }
}

extension WallTime {
  /// The wall time of `date` in the calendar's zone.
  init?(_ date: Date, _ calendar: Calendar) {
    let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
    guard let year = c.year, let month = c.month, let day = c.day, let hour = c.hour, let minute = c.minute else {
      return nil
    }
    self.init(year: year, month: month, day: day, hour: hour, minute: minute)
  }
}
