// libFuzzer target for the cron parser and next-fire arithmetic (scripts/fuzz):
// the first line is a cron expression, the second (optional) a time zone; a
// schedule that parses yields next fires that only move forward.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCron(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
  let lines = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
  guard let cron = try? CronExpression(String(lines[0])) else { return 0 }
  let zone = lines.count > 1 ? TimeZone(identifier: String(lines[1])) : nil
  var at = Date(timeIntervalSince1970: 1_772_000_000)
  for _ in 0..<5 {
    guard let next = cron.next(after: at, in: zone ?? TimeZone(identifier: "America/New_York") ?? .gmt) else { break }
    if next <= at { fatalError("\(lines[0]): \(next) is not after \(at)") }
    at = next
  }
  return 0
}
