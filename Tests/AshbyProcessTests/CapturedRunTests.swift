import AshbyProcess
import Foundation
import Testing

/// A command run whole with its output captured (an agent's script, a script under test): in its folder,
/// its own process group, ended at its limit, on cancellation, or with its parent.
@Suite struct CapturedRunTests {
  static func scratch() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("captured-run-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
  }

  static func shell(in folder: URL, ownGroup: Bool = true) -> CapturedRun {
    CapturedRun(program: "/bin/sh", environment: ["PATH": "/usr/bin:/bin", "GREETING": "hi"], folder: folder, ownGroup: ownGroup)
  }

  /// Output, exit code, folder and environment as given; no file of the run's is left behind.
  @Test func outputExitAndFolderAreTheChilds() async throws {
    let folder = try Self.scratch()
    defer { try? FileManager.default.removeItem(at: folder) }
    let work = folder.appendingPathComponent("work")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    let outcome = try await Self.shell(in: folder).run(
      ["-c", "pwd; echo \"$GREETING\"; echo 'ashby-lua: it broke' >&2; read x; echo \"stdin:$x\"; exit 3"], limit: 60, in: work)
    #expect(outcome.stdout == "\(work.resolvingSymlinksInPath().path)\nhi\nstdin:\n")
    #expect(outcome.errorMessage == "it broke")
    #expect(outcome.exit == 3)
    #expect(!outcome.timedOut)
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["work"])
  }

  /// Past its limit the child is killed: `timedOut`, and the exit a shell would report for SIGKILL.
  @Test func aRunawayIsKilledAtItsLimit() async throws {
    let folder = try Self.scratch()
    defer { try? FileManager.default.removeItem(at: folder) }
    // Killed, not ended by itself: the sleep outlasts any wait a loaded machine adds to the 3 s limit
    // (this whole suite on two cores has delayed a task's wake-up by 40 s).
    let outcome = try await Self.shell(in: folder).run(["-c", "echo started; exec sleep 3600"], limit: 3)
    #expect(outcome.timedOut)
    #expect(outcome.exit == ExitStatus.signalled(SIGKILL))
    #expect(outcome.stdout == "started\n")
  }

  /// What the child started and left running (a shell's background job) ends with it: the group goes
  /// before the child is reaped, while its id is still the child's own.
  @Test func whatTheChildLeftRunningEndsWithIt() async throws {
    let folder = try Self.scratch()
    defer { try? FileManager.default.removeItem(at: folder) }
    let outcome = try await Self.shell(in: folder).run(["-c", "sleep 3600 >/dev/null 2>&1 & echo $!"], limit: 60)
    let pid = try #require(Int32(outcome.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
    #expect(outcome.exit == 0)
    // Gone, or a zombie waiting for init to reap it: either way not running.
    var state = "gone"
    for _ in 0..<100 {
      guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { break }
      state = String(stat.split(separator: ")").last?.split(separator: " ").first ?? "?")
      if state == "Z" { break }
      try await Task.sleep(for: .milliseconds(50))
    }
    #expect(state == "gone" || state == "Z")
  }

  /// A cancelled caller ends the child (and its group) at once, and still gets its status.
  @Test func cancellingTheCallEndsTheChild() async throws {
    let folder = try Self.scratch()
    defer { try? FileManager.default.removeItem(at: folder) }
    let call = Task { try await Self.shell(in: folder).run(["-c", "echo up; sleep 3600"], limit: 3000) }
    // Cancelled once the child is running (its first line is out), not after a guessed delay.
    var waited = 0
    while (try? FileManager.default.contentsOfDirectory(atPath: folder.path))?.contains(where: {
      $0.hasSuffix(".out") && ((try? String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8)) ?? "") == "up\n"
    }) != true {
      waited += 1
      try #require(waited < 1500, "the child never printed its first line")  // 30 s
      try await Task.sleep(for: .milliseconds(20))
    }
    call.cancel()
    let outcome = try await call.value
    // Killed (not ended by itself, not at its limit): by the cancellation.
    #expect(outcome.exit == ExitStatus.signalled(SIGKILL))
    #expect(!outcome.timedOut)
  }

  /// The child gets stdin, stdout and stderr, and no other descriptor of ours, close-on-exec or not (a
  /// CI runner's pipe, make's jobserver).
  @Test func noOtherDescriptorReachesTheChild() async throws {
    let folder = try Self.scratch()
    defer { try? FileManager.default.removeItem(at: folder) }
    var ends: [Int32] = [0, 0]
    #expect(pipe(&ends) == 0)  // no close-on-exec
    defer { ends.forEach { close($0) } }
    let outcome = try await Self.shell(in: folder).run(
      ["-c", "for fd in \(ends[0]) \(ends[1]); do [ -e /proc/$$/fd/$fd ] && echo open || echo closed; done"], limit: 60)
    #expect(outcome.stdout == "closed\nclosed\n")
  }

  /// Sharing our group (`ashby-lua test`), a child is still ended at its limit, by itself.
  @Test func aChildInOurGroupIsKilledAlone() async throws {
    let folder = try Self.scratch()
    defer { try? FileManager.default.removeItem(at: folder) }
    let outcome = try await Self.shell(in: folder, ownGroup: false).run(["-c", "exec sleep 3600"], limit: 2)
    #expect(outcome.timedOut)
    #expect(outcome.exit == ExitStatus.signalled(SIGKILL))
  }

  /// A program that cannot be started is an error that names it, not an exit code.
  @Test func aMissingProgramIsAnError() async throws {
    let folder = try Self.scratch()
    defer { try? FileManager.default.removeItem(at: folder) }
    let run = CapturedRun(program: "/nonexistent/ashby-lua", environment: [:], folder: folder, ownGroup: true)
    await #expect { _ = try await run.run(["run", "x.lua"], limit: 10) } throws: { "\($0)".contains("cannot start /nonexistent/ashby-lua") }
  }
}
