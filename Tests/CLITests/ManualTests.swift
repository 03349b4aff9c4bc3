import AshbyTestSupport
import Foundation
import Testing

/// The man page and the completion scripts that `scripts/package` ships are generated from the programs
/// (swift-argument-parser's generate-manual and --generate-completion-script); these check that what they
/// generate covers every command, so a command added later cannot be missing from `man ashby-lua` or TAB.
@Suite struct ManualTests {
  /// One command of the tree, as `--experimental-dump-help` describes it.
  struct Command {
    var path: [String]
    var abstract: String
    var discussion: String
    /// The long names (`--base-url`) of the options and flags its help shows.
    var options: [String]
    var name: String { path.joined(separator: " ") }
  }

  /// Every command `ashby-lua` has, asked of `ashby-lua` itself (which hands the question to the server,
  /// the program that links them all); `help` is the parser's own.
  static func commands() async throws -> [Command] {
    let r = try await run(["--experimental-dump-help"])
    #expect(r.status == 0, "\(r.stderr)")
    let root = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
    guard let command = root?["command"] as? [String: Any] else {
      Issue.record("no command in the help dump: \(r.stdout.prefix(300))")
      return []
    }
    var found: [Command] = []
    func walk(_ node: [String: Any], path: [String]) {
      let options = (node["arguments"] as? [[String: Any]] ?? []).filter { $0["shouldDisplay"] as? Bool ?? true }
        .flatMap { argument in
          (argument["names"] as? [[String: Any]] ?? []).filter { $0["kind"] as? String == "long" }
            .compactMap { $0["name"] as? String }.map { "--" + $0 }
        }
      found.append(
        Command(
          path: path, abstract: node["abstract"] as? String ?? "", discussion: node["discussion"] as? String ?? "",
          options: options))
      for child in node["subcommands"] as? [[String: Any]] ?? [] {
        guard let name = child["commandName"] as? String, name != "help" else { continue }
        walk(child, path: path + [name])
      }
    }
    walk(command, path: ["ashby-lua"])
    return found
  }

  /// Letters and digits only, lowercased: what survives any typesetting (line breaks, quotes, hyphens).
  static func words(_ text: String) -> String {
    String(text.lowercased().unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }.map(Character.init))
  }

  /// The man page as `man` shows it to a person, rendered from what generate-manual makes of the server.
  static func renderedManual() async throws -> String? {
    let folder = binary.deletingLastPathComponent()
    let tool = folder.appendingPathComponent("generate-manual")
    guard FileManager.default.isExecutableFile(atPath: tool.path) else {
      Issue.record("no \(tool.path): build it with `swift build --product generate-manual` (scripts/test does)")
      return nil
    }
    let out = try scratch()
    let made = try await run(
      [folder.appendingPathComponent("ashby-lua-server").path, "--output-directory", out.path], executable: tool)
    #expect(made.status == 0, "\(made.all)")
    let page = out.appendingPathComponent("ashby-lua.1")
    let shown = try await run(
      ["-l", page.path], env: ["MANWIDTH": "10000", "LC_ALL": "C", "MANPAGER": "cat", "PAGER": "cat"],
      executable: URL(fileURLWithPath: "/usr/bin/man"))
    #expect(shown.status == 0, "\(shown.stderr)")
    return shown.stdout
  }

  @Test func theManPageCarriesEveryCommandsHelp() async throws {
    let commands = try await Self.commands()
    #expect(commands.contains { $0.name == "ashby-lua schedule migrate-state" }, "\(commands.map(\.name))")
    guard let manual = try await Self.renderedManual() else { return }
    let text = Self.words(manual)
    var missing: [String] = []
    for command in commands {
      for part in [command.abstract, command.discussion] where !Self.words(part).isEmpty {
        if !text.contains(Self.words(part)) { missing.append("\(command.name): \(part.prefix(80))") }
      }
      for option in command.options where !manual.contains(option) { missing.append("\(command.name) \(option)") }
    }
    #expect(missing.isEmpty, "not in the man page:\n\(missing.joined(separator: "\n"))")
  }

  @Test(arguments: ["bash", "zsh", "fish"])
  func theCompletionScriptNamesEveryCommand(shell: String) async throws {
    let commands = try await Self.commands()
    let r = try await run(["--generate-completion-script", shell])
    #expect(r.status == 0, "\(r.stderr)")
    var missing: [String] = []
    for command in commands.dropFirst() {
      let named: Bool
      switch shell {
      case "fish":
        // Offered where its parent was typed: complete -c 'ashby-lua' -n '…"ashby-lua schedule"…' -fa 'run'
        let parent = command.path.dropLast().joined(separator: " ")
        named = r.stdout.split(separator: "\n").contains {
          $0.contains("\"\(parent)\"") && $0.contains("-fa '\(command.path.last ?? "")'")
        }
      default:
        // A function per command: _ashby-lua_schedule_run
        named = r.stdout.contains("_\(command.path.joined(separator: "_"))()")
      }
      if !named { missing.append(command.name) }
    }
    #expect(missing.isEmpty, "\(shell) completion lacks: \(missing)")
  }

  /// The man page is made from the server; `ashby-lua --help` is what a person reads first. They list the
  /// same commands with the same words.
  @Test func theClientsHelpIsTheServersHelp() async throws {
    let client = try await run(["--help"])
    let server = try await run(["--help"], executable: binary.deletingLastPathComponent().appendingPathComponent("ashby-lua-server"))
    #expect(client.status == 0 && server.status == 0)
    #expect(client.stdout == server.stdout)
  }
}

extension ManualTests {
  /// The version is one fact (`ashby-lua --version`); the README's install lines name the files it makes.
  @Test func theReadmeInstallsTheVersionThePackageCarries() async throws {
    let r = try await run(["--version"])
    let version = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(r.status == 0 && !version.isEmpty)
    let readme = try String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
    #expect(readme.contains("ashby-lua_\(version)_amd64.deb"))
    #expect(readme.contains("ashby-lua-\(version)-linux-x86_64.tar.gz"))
  }
}
