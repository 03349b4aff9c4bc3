import AshbyFake
import AshbyTestSupport
import Foundation
import Testing

/// What the first trust work left open, each tried as an attacker would:
/// names that are not UTF-8, an `on_failure` command's environment, a zone's
/// name. The race in `require` and another process reading a running one are
/// in the escape suite, a FIFO script in the limit suite (below).
@Suite struct TrustRoundTwoTests {
  /// A file name is bytes: one that is not UTF-8 runs, as `lua` runs it.
  @Test func aScriptWhoseNameIsNotUTF8Runs() async throws {
    let dir = try scratch()
    // "caf\xE9.lua": Latin-1, not UTF-8; made and named through the shell, as bytes.
    let shell = Process()
    shell.executableURL = URL(fileURLWithPath: "/bin/sh")
    shell.arguments = [
      "-c",
      #"cd "$1" && name=$(printf 'caf\351.lua') && printf 'print("ran " .. arg[0]:len())' > "$name" && "$2" run "$name" && "$2" check "$name""#,
      "sh", dir.path, binary.path,
    ]
    let out = dir.appendingPathComponent("out")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    shell.standardOutput = try FileHandle(forWritingTo: out)
    shell.standardError = try FileHandle(forWritingTo: out)
    try shell.run()
    try await exited(shell)
    let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
    #expect(shell.terminationStatus == 0 && text.contains("ran 8"), "\(text)")
  }

  /// An `on_failure` shell command sees neither the key nor the descriptors
  /// meant for `ashby-lua run`; an `on_failure` script still calls Ashby (it
  /// gets the key on its input, as a run does).
  @Test func anOnFailureCommandGetsNoKeyAndNoInternalVariables() async throws {
    let f = try await FakeFixture.start()
    let s = try ScheduleTests.Setup(
      schedule: """
        [[job]]
        name = "broken"
        script = "fail.lua"
        cron = "0 3 * * *"
        on_failure = "env > failure-env.txt"

        [[job]]
        name = "reported"
        script = "fail.lua"
        cron = "0 3 * * *"
        on_failure = "report.lua"
        """)
    try """
      ashby.create_candidate{ first_name = "On", last_name = "Failure", email = "on-failure@example.com" }
      """.write(to: s.work.appendingPathComponent("report.lua"), atomically: true, encoding: .utf8)
    for job in ["broken", "reported"] {
      let r = try await run(["schedule", "trigger", job, "--file", s.file], env: f.env, home: s.home)
      #expect(r.status == 1, "\(r.all)")
    }
    let env = try String(contentsOf: s.work.appendingPathComponent("failure-env.txt"), encoding: .utf8)
    #expect(env.contains("ASHBY_LUA_RUN="), "the command gets the failed run")
    #expect(!env.contains(FakeAshby.fullKey) && !env.contains("ASHBY_API_KEY"), "\(env)")
    #expect(!env.contains("_FD="), "\(env)")
    #expect(f.fake.candidates(withEmail: "on-failure@example.com") == 1)
    await f.fake.stop()
  }

  /// A zone is shown as the file names it: `UTC`, not Foundation's "GMT".
  @Test func aZoneIsShownAsTheFileNamesIt() async throws {
    let s = try ScheduleTests.Setup(schedule: "[[job]]\nname = \"a\"\nscript = \"hire.lua\"\ncron = \"0 8 * * *\"\ntimezone = \"UTC\"\n")
    let listed = try await run(["schedule", "list", "--file", s.file], home: s.home)
    #expect(listed.status == 0 && listed.stdout.contains("UTC") && !listed.stdout.contains("GMT"), "\(listed.all)")
    let json = try await run(["schedule", "list", "--file", s.file, "--json"], home: s.home)
    #expect(json.stdout.contains("\"timezone\":\"UTC\""), "\(json.all)")
  }
}

/// Trust, round two: what another process can do to a sandboxed run.
extension EscapeSuiteTests {
  /// A second process swaps a folder of the script's tree for a symlink to
  /// a folder outside, again and again, while the script requires from it:
  /// no module from outside is ever loaded.
  @Test func aFolderSwappedForASymlinkDuringRequireNeverLeadsOutside() async throws {
    let dir = try scratch()
    let tree = dir.appendingPathComponent("tree")
    let outside = dir.appendingPathComponent("outside")
    for folder in [tree.appendingPathComponent("sub"), outside] {
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }
    try "return 'inside'".write(to: tree.appendingPathComponent("sub/mod.lua"), atomically: true, encoding: .utf8)
    try "return 'ESCAPED'".write(to: outside.appendingPathComponent("mod.lua"), atomically: true, encoding: .utf8)
    try """
      local counts = { inside = 0, missing = 0, escaped = 0 }
      for _ = 1, 20000 do
        package.loaded["sub.mod"] = nil
        local ok, value = pcall(require, "sub.mod")
        if ok and value == "ESCAPED" then counts.escaped = counts.escaped + 1
        elseif ok then counts.inside = counts.inside + 1
        else counts.missing = counts.missing + 1 end
      end
      print(string.format("inside %d missing %d escaped %d", counts.inside, counts.missing, counts.escaped))
      """.write(to: tree.appendingPathComponent("main.lua"), atomically: true, encoding: .utf8)
    // A tight loop of renames (microseconds each): the folder and a symlink out trade places.
    let swapper = Process()
    swapper.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    swapper.arguments = [
      "python3", "-c",
      """
      import os, sys
      os.chdir(sys.argv[1])
      os.symlink(sys.argv[2], "sub.link")
      while True:
          os.rename("sub", "sub.real"); os.rename("sub.link", "sub")
          os.rename("sub", "sub.link"); os.rename("sub.real", "sub")
      """,
      tree.path, outside.path,
    ]
    swapper.standardError = FileHandle.nullDevice
    try swapper.run()
    defer { kill(swapper.processIdentifier, SIGKILL) }
    let r = try await run(["run", "--sandbox", tree.appendingPathComponent("main.lua").path], home: dir, timeout: 120)
    kill(swapper.processIdentifier, SIGKILL)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("escaped 0"), "\(r.stdout)")
    // The race was run: some requires found the folder swapped away.
    #expect(!r.stdout.contains("inside 0 "), "\(r.stdout)")
  }

  /// Another process of the same ordinary user cannot read a running
  /// `ashby-lua`'s environment or memory: the process is not dumpable.
  @Test(.enabled(if: getuid() == 0, "needs root to drop to nobody"))
  func anotherProcessOfTheSameUserCannotReadARunningProcess() async throws {
    let dir = try scratch()
    let open = dir.appendingPathComponent("nobody")
    try FileManager.default.createDirectory(at: open, withIntermediateDirectories: true)
    #expect(chmod(open.path, 0o777) == 0 && chmod(dir.path, 0o755) == 0)
    let script = open.appendingPathComponent("wait.lua")
    try "io.stderr:write('ready\\n'); ashby.sleep(6)".write(to: script, atomically: true, encoding: .utf8)
    let key = "test-key-\(UUID().uuidString)"
    let asNobody = ["--reuid=65534", "--regid=65534", "--clear-groups"]
    let victim = Process()
    victim.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
    victim.arguments = asNobody + [binary.path, "run", script.path]
    victim.environment = [
      "ASHBY_API_KEY": key, "HOME": open.path, "XDG_CONFIG_HOME": open.path, "XDG_STATE_HOME": open.path,
      "XDG_CACHE_HOME": open.path, "PATH": "/usr/bin:/bin",
    ]
    let log = open.appendingPathComponent("victim.log")
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    victim.standardError = try FileHandle(forWritingTo: log)
    victim.standardOutput = FileHandle.nullDevice
    try victim.run()
    defer { kill(victim.processIdentifier, SIGKILL) }
    #expect(await eventually(30) { ((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("ready") })
    for file in ["environ", "mem", "maps"] {
      let probe = Process()
      probe.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
      probe.arguments = asNobody + ["/bin/cat", "/proc/\(victim.processIdentifier)/\(file)"]
      let out = open.appendingPathComponent("probe-\(file)")
      _ = FileManager.default.createFile(atPath: out.path, contents: nil)
      probe.standardOutput = try FileHandle(forWritingTo: out)
      probe.standardError = FileHandle.nullDevice
      try probe.run()
      try await exited(probe)
      let read = (try? Data(contentsOf: out)) ?? Data()
      #expect(probe.terminationStatus != 0 && read.isEmpty, "nobody read /proc/<pid>/\(file) of nobody's ashby-lua")
      #expect(!String(decoding: read, as: UTF8.self).contains(key))
    }
    kill(victim.processIdentifier, SIGKILL)
    try await exited(victim)
  }
}

/// Trust, round two: a script that would block before the limit can start.
extension LimitSuiteTests {
  /// A script that is a FIFO is refused at once: `run` and `check` neither
  /// wait for a writer nor outlast a SIGTERM.
  @Test func aScriptThatIsAFIFOIsRefusedAtOnce() async throws {
    let dir = try scratch()
    let fifo = dir.appendingPathComponent("script.lua").path
    #expect(mkfifo(fifo, 0o644) == 0)
    for command in ["run", "check"] {
      let started = Date()
      let r = try await run([command, fifo], home: dir, timeout: 20)
      #expect(Date().timeIntervalSince(started) < 10, "\(command) waited on the FIFO")
      #expect(r.status != 0 && r.stderr.contains("not a regular file (a FIFO)"), "\(command): \(r.stderr)")
    }
    let folder = try await run(["run", dir.path], home: dir)
    #expect(folder.status != 0 && folder.stderr.contains("not a regular file (a folder)"), "\(folder.stderr)")
  }
}
