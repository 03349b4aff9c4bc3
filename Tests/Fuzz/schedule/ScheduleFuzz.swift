// libFuzzer target for the schedules file reader (scripts/fuzz): any bytes
// either read as jobs or are refused with problems; nothing else may happen.
import AshbyScheduler
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSchedule(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
  do {
    let jobs = try ScheduleFile.parse(text, file: "fuzz.toml", folder: "/tmp")
    for job in jobs where !(job.timeout > 0 && job.timeout.isFinite) { fatalError("timeout \(job.timeout) accepted") }
  } catch {
    if error.all.isEmpty { fatalError("refused without a problem") }
  }
  return 0
}

// SwiftPM links an executable's entry point as `<target>_main`; hand it to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
  _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
  _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@_cdecl("fuzz_schedule_main")
public func fuzzScheduleMain(
  _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> CInt {
  var count = argc
  var arguments = argv
  return runFuzzerDriver(&count, &arguments) { data, size in
    guard let data else { return 0 }
    return fuzzSchedule(data, size)
  }
}
