// libFuzzer target for the ISO time parser (scripts/fuzz): any text either
// parses or is refused; a time that parses formats to text that parses back
// to the same millisecond.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTime(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
  guard let date = Timestamps.parse(text) else { return 0 }
  let sent = Timestamps.format(date)
  guard let again = Timestamps.parse(sent), Timestamps.format(again) == sent else {
    fatalError("\(text) -> \(sent) does not read back")
  }
  return 0
}
