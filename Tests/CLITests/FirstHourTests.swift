import AshbyTestSupport
import Foundation
import Testing

/// A new user's first hour: typos and habits from `lua` get clear answers.
@Suite struct FirstHourTests {
  @Test func anUnknownOptionBeforeTheScriptIsAUsageErrorWithASuggestion() async throws {
    let path = try script("print('ran')")
    for (typo, meant) in [("--dryrun", "--dry-run"), ("--max-memry=8", "--max-memory"), ("--fkae", "--fake")] {
      let r = try await run(["run", typo, path])
      #expect(r.status == 2, "\(typo): \(r.all)")
      #expect(r.stderr.contains("unknown option \(typo.prefix { $0 != "=" }) (did you mean \(meant)?)"), "\(r.all)")
      #expect(!r.stderr.contains("cannot open"))
      #expect(!r.stdout.contains("ran"))
    }
    let dashes = try await run(["run", "--", path])  // `--` ends the options, as in lua
    #expect(dashes.stdout == "ran\n")
  }

  /// Every option `run --help` lists, as a user would read them there.
  static func runOptions() async throws -> [String] {
    let help = try await run(["run", "--help"])
    var names: [String] = []
    for word in help.stdout.split(whereSeparator: { " ,\n".contains($0) }) {
      let token = String(word.prefix { $0 != "<" && $0 != "=" })
      if token.count > 1, token != "--", token.hasPrefix("-"), token.dropFirst().allSatisfy({ $0.isLetter || $0 == "-" }),
        !names.contains(token)
      {
        names.append(token)
      }
    }
    return names
  }

  @Test func everyOwnOptionAfterTheScriptIsRefusedAndDashDashPassesIt() async throws {
    let options = try await Self.runOptions()
    for expected in ["--dry-run", "--fake", "--sandbox", "--base-url", "--profile", "--timeout", "-e", "--plan"] {
      #expect(options.contains(expected), "\(options)")
    }
    let path = try script("print('ran', ...)")
    for option in options {
      // Both ways in: bare `run SCRIPT ...` (no parser) and with an option before the script.
      for args in [["run", path, "x", option], ["run", "--quiet", path, option + "=1"]] {
        let r = try await run(args)
        #expect(r.status == 2, "\(args): \(r.all)")
        #expect(r.stdout.isEmpty, "\(args) ran the script: \(r.all)")
        #expect(r.stderr.contains("\(option) comes after the script") && r.stderr.contains("nothing was run"), "\(r.all)")
        #expect(r.stderr.contains("ashby-lua run \(option) \(path)") && r.stderr.contains("ashby-lua run \(path) -- \(option)"))
      }
      let through = try await run(["run", path, "--", option, "--"])
      #expect(through.status == 0, "\(option): \(through.all)")
      #expect(through.stdout == "ran\t\(option)\t--\n", "only the first -- is taken: \(through.all)")
    }
    // An argument that only looks like an option is the script's, as in lua.
    let own = try await run(["run", path, "--since", "-n", "5"])
    #expect(own.status == 0 && own.stdout == "ran\t--since\t-n\t5\n", "\(own.all)")
  }

  @Test func aMisplacedDryRunWritesNothing() async throws {
    let f = try await FakeFixture.start()
    let path = try script("ashby.create_candidate{ first_name = 'Mis', last_name = 'Placed', email = 'misplaced@example.com' }")
    let r = try await run(["run", path, "--dry-run"], env: f.env)
    #expect(r.status == 2, "\(r.all)")
    #expect(f.fake.candidates(withEmail: "misplaced@example.com") == 0)
    #expect(f.fake.requests.isEmpty, "nothing may be sent")
  }

  @Test func anUnknownAshbyFieldRaisesWithTheNearestName() async throws {
    let r = try await run([
      "run", "--fake", "-e",
      "print(select(2, pcall(function() return ashby.getjob('x') end))); print(select(2, pcall(function() return ashby.util.count_bye end)))",
    ])
    #expect(r.stdout.contains("ashby has no field 'getjob' (did you mean ashby.get_job?)"), "\(r.all)")
    #expect(r.stdout.contains("ashby.util has no field 'count_bye' (did you mean ashby.util.count_by?)"))
    let uncaught = try await run(["run", "--fake", "-e", "ashby.getjob('x')"])
    #expect(uncaught.status == 1)
    #expect(uncaught.stderr.contains("(did you mean ashby.get_job?)"))
    #expect(!uncaught.stderr.contains("attempt to call a nil value"))
  }

  /// The README's shebang line works on Linux, where `env` needs `-S` to split `ashby-lua run`.
  @Test func theShebangLineRunsAScript() async throws {
    let path = try script("#!/usr/bin/env -S ashby-lua run\nprint('hello from', ...)\n", name: "hello.lua")
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = ["a", "b"]
    process.environment = ["PATH": binary.deletingLastPathComponent().path + ":/usr/bin:/bin", "HOME": try scratch().path]
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    #expect(String(decoding: data, as: UTF8.self) == "hello from\ta\tb\n")
    let readme = try String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
    #expect(readme.contains("#!/usr/bin/env -S ashby-lua run"))
    #expect(!readme.contains("#!/usr/bin/env ashby-lua run"))
    for name in try FileManager.default.contentsOfDirectory(atPath: packageRoot.appendingPathComponent("scripts").path)
    where name.hasSuffix(".lua") {
      let text = try String(contentsOf: packageRoot.appendingPathComponent("scripts/\(name)"), encoding: .utf8)
      #expect(text.hasPrefix("#!/usr/bin/env -S ashby-lua run\n"), "scripts/\(name)")
    }
  }

  @Test func limitMessagesNameTheLimit() async throws {
    let memory = try await run(["run", "--max-memory", "8", "-e", "local t = {} for i = 1, 1e8 do t[i] = i end"])
    #expect(memory.status == 1)
    #expect(memory.stderr.contains("memory limit of 8 MB exceeded"), "\(memory.all)")
    #expect(!memory.stderr.contains("not enough memory"))
    let time = try await run(["run", "--timeout", "0.5", "-e", "while true do end"])
    #expect(time.stderr.contains("time limit of 0.5 s exceeded"))
  }

  @Test func scheduleWithoutAFileSaysHowToGiveOne() async throws {
    let empty = try scratch()
    let r = try await run(["schedule", "list"], cwd: empty)
    #expect(r.status == 2)
    #expect(r.stderr.contains("--file FILE"), "\(r.all)")
  }

  /// "A first script" shows the command that runs it, and that script is in scripts/ as shown.
  @Test func theReadmesFirstScriptShowsItsCommandAndTheTestsPrerequisites() throws {
    let readme = try String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
    let section = try #require(readme.components(separatedBy: "## A first script").dropFirst().first)
      .components(separatedBy: "\n## ").first ?? ""
    let code = try #require(section.components(separatedBy: "```lua\n").dropFirst().first?.components(separatedBy: "```").first)
    let file = try String(contentsOf: packageRoot.appendingPathComponent("scripts/open-jobs.lua"), encoding: .utf8)
    #expect(code == file)
    #expect(section.contains("$ ashby-lua run --fake scripts/open-jobs.lua"))
    let setup = readme.components(separatedBy: "## A first script").first ?? ""
    #expect(setup.contains("python3") && setup.contains("pip"))
  }

  /// Every test is swift-testing; XCTest's runner would only print "Executed 0 tests".
  @Test func theTestCommandRunsNoEmptyXCTestPass() throws {
    let test = try String(contentsOf: packageRoot.appendingPathComponent("scripts/test"), encoding: .utf8)
    let line = try #require(test.split(separator: "\n").first { $0.hasPrefix("swift test") })
    #expect(line.contains("--disable-xctest"))
    let xctests = try FileManager.default.subpathsOfDirectory(atPath: packageRoot.appendingPathComponent("Tests").path)
      .filter { $0.hasSuffix(".swift") }
      .filter { (try? String(contentsOf: packageRoot.appendingPathComponent("Tests/\($0)"), encoding: .utf8))?.split(separator: "\n").contains("import " + "XCTest") == true }
    #expect(xctests.isEmpty, "XCTest cases would not run: \(xctests)")
  }
}
