import AshbyFake
import AshbyTestSupport
import Foundation
import Testing

/// Every `$ ashby-lua ...` line in the README runs and succeeds, in order, in
/// one home folder, against a fake Ashby (so `auth login` has a server to ask).
@Suite struct ReadmeTests {
  struct Command {
    var args: [String]
    var stdin: String?
    var text: String
  }

  static func commands() throws -> [Command] {
    let readme = try String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
    return readme.split(separator: "\n").compactMap { line -> Command? in
      guard line.hasPrefix("$ ") else { return nil }
      var text = String(line.dropFirst(2))
      if let hash = text.range(of: "  #") { text = String(text[..<hash.lowerBound]) }
      var stdin: String?
      if let pipe = text.range(of: " | ashby-lua ") {
        let producer = words(String(text[..<pipe.lowerBound]))
        stdin = producer.dropFirst().joined(separator: " ") + "\n"  // `echo '...'`
        text = "ashby-lua " + text[pipe.upperBound...]
      }
      if let redirect = text.range(of: " > ") { text = String(text[..<redirect.lowerBound]) }
      let args = words(text)
      guard args.first == "ashby-lua" else { return nil }
      return Command(args: Array(args.dropFirst()), stdin: stdin, text: String(line))
    }
  }

  /// Splits like a shell for the README's simple lines: spaces, '...' and "...".
  static func words(_ text: String) -> [String] {
    var out: [String] = []
    var current = ""
    var quote: Character?
    var inWord = false
    for c in text {
      if let q = quote {
        if c == q { quote = nil } else { current.append(c) }
      } else if c == "'" || c == "\"" {
        quote = c
        inWord = true
      } else if c == " " {
        if inWord { out.append(current) }
        current = ""
        inWord = false
      } else {
        current.append(c)
        inWord = true
      }
    }
    if inWord { out.append(current) }
    return out
  }

  @Test func theReadmeShowsCommands() throws {
    let texts = try Self.commands().map(\.text).joined(separator: "\n")
    for needed in [
      "run --fake", "repl", "auth login", "auth status", "auth logout", "types", "check", "fake-server", "--dry-run",
      "schedule list", "schedule trigger", "schedule history", "schedule run", "run --plan", "plan show", "apply",
      "undo", "audit", "test scripts/spec", "--record", "--replay",
    ] {
      #expect(texts.contains(needed), "the README shows no `\(needed)` command")
    }
  }

  @Test func everyReadmeCommandWorks() async throws {
    let f = try await FakeFixture.start()
    let home = try scratch()
    let env = ["ASHBY_BASE_URL": f.fake.baseURL.absoluteString]
    for command in try Self.commands() {
      var stdin = command.stdin
      var interrupt: (marker: String, after: Double)?  // a program that runs until stopped, once it shows it is ready
      // The worked plan's and cassette's files go to the test's home, not into the checkout.
      var args = command.args.map {
        $0.hasSuffix(".plan") || $0.hasSuffix(".cassette.json") ? home.appendingPathComponent($0).path : $0
      }
      if args.starts(with: ["auth", "login"]) { stdin = FakeAshby.fullKey + "\n" }
      if args.starts(with: ["schedule", "run"]) { interrupt = ("schedule: ", 3) }
      if args.first == "fake-server" {
        interrupt = ("fake Ashby listening", 0.5)
        if let i = args.firstIndex(of: "--port") { args[i + 1] = "0" }  // the README's port may be taken here
      }
      let r = try await run(
        args, stdin: stdin, env: env, home: home, cwd: packageRoot, interrupts: interrupt.map { [$0.after] } ?? [],
        marker: interrupt?.marker)
      #expect(r.status == 0, "`\(command.text)` exited \(r.status): \(r.stderr)")
      if args.first == "fake-server" { #expect(r.stdout.contains("fake Ashby listening on http://127.0.0.1:")) }
      if args.first == "repl", command.stdin != nil { #expect(r.stdout == "2\n") }
      if args.starts(with: ["schedule", "history"]) {
        // The hook's history is empty here: the README's demo of it runs in two shells (HookLoopTests runs it).
        #expect(r.stdout.contains(args.contains("--hook") ? "no runs of welcome recorded" : "open-jobs-digest  manual"))
      }
      if args.starts(with: ["schedule", "run"]) { #expect(r.stderr.contains("schedule: stopped")) }
    }
    await f.fake.stop()
  }
}
