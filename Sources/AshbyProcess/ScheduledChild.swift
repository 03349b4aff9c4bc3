import Synchronization
import Foundation

/// The child's side of a scheduled run (`ashby-lua run` started by the daemon).
///
/// The daemon hands the child two descriptors, named in its environment: a
/// pipe for the `RunReport`, and a lifeline whose other end only the daemon
/// holds. When the daemon dies (even by `kill -9`) the lifeline reads
/// end-of-file and the child ends its whole process group at once, so no run
/// goes on unobserved, writing what no history will record.
public enum ScheduledChild {
  package static let reportVariable = "ASHBY_LUA_REPORT_FD"
  package static let lifelineVariable = "ASHBY_LUA_LIFELINE_FD"
  /// The folder to run in (the schedule file's).
  package static let directoryVariable = "ASHBY_LUA_DIRECTORY"
  package static let inputVariable = "ASHBY_LUA_INPUT_FD"
  package static let reportFD: Int32 = 3
  package static let lifelineFD: Int32 = 4
  package static let inputFD: Int32 = 5

  package struct ChangeDirectoryError: Error, CustomStringConvertible {
    package let description: String
  }

  /// What the daemon gave a run it started.
  public struct Attachment: Sendable {
    /// Where the run's report goes.
    public var report: ReportChannel
    /// The event and the sync tokens.
    public var input: RunInput
  }

  /// What the daemon gave this run, when it started it; nil otherwise.
  /// Call once, at the start: it also starts watching the lifeline and moves
  /// to the schedule's folder.
  public static func attach() throws -> Attachment? {
    guard let reportText = getenv(reportVariable), let report = Int32(String(cString: reportText)) else { return nil }
    var input = RunInput()
    if let text = getenv(inputVariable), let fd = Int32(String(cString: text)) {
      unsetenv(inputVariable)
      input = try RunInput(readingFrom: fd)
      if let key = input.apiKey { ProcessSecrets.setAPIKey(key) }
      if let password = input.audit?.password { ProcessSecrets.set("PGPASSWORD", password) }
      input.audit?.password = nil
      input.apiKey = nil
    }
    unsetenv(reportVariable)
    if let folder = getenv(directoryVariable).map({ String(cString: $0) }) {
      unsetenv(directoryVariable)
      guard chdir(folder) == 0 else {
        throw ChangeDirectoryError(description: "cannot change to the folder \(folder): \(String(cString: strerror(errno)))")
      }
    }
    _ = fcntl(report, F_SETFD, FD_CLOEXEC)  // not for what the script starts
    if let text = getenv(lifelineVariable), let lifeline = Int32(String(cString: text)) {
      unsetenv(lifelineVariable)
      _ = fcntl(lifeline, F_SETFD, FD_CLOEXEC)
      watch(lifeline)
    }
    closeOnExec()
    return Attachment(report: ReportChannel(fd: report), input: input)
  }

  /// Marks every descriptor past stderr close-on-exec: what the daemon's
  /// process left open must not reach what the script starts (a shell from
  /// `os.execute` holding a pipe open would keep its reader waiting).
  package static func closeOnExec() {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
    for fd in entries.compactMap(Int32.init) where fd > 2 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
  }

  private static func watch(_ fd: Int32) {
    let thread = Thread {
      var byte: UInt8 = 0
      while true {
        let n = read(fd, &byte, 1)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
      }
      kill(0, SIGKILL)  // the daemon is gone: this group (the run and what it started) goes too
    }
    thread.name = "lifeline"
    thread.start()
  }
}

/// The write end of the report pipe. Written once; safe from any thread
/// (the watchdog may write it while the VM thread is stuck).
public final class ReportChannel: Sendable {
  package let fd: Int32
  private let written = Atomic(false)

  package init(fd: Int32) { self.fd = fd }

  public func send(_ report: RunReport) {
    guard written.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
    let data = report.encoded
    data.withUnsafeBytes { buffer in
      var sent = 0
      while sent < buffer.count, let base = buffer.baseAddress {
        let n = write(fd, base + sent, buffer.count - sent)
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { return }
        sent += n
      }
    }
    close(fd)
  }
}
