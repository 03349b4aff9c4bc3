import ArgumentParser
import AshbyCLI
import AshbyProcess
import AshbyScripting
import AshbySpec
import Foundation
import LuaHost

/// `ashby-lua test [PATH...]`: spec files for scripts, each `it` against a
/// fresh fake Ashby (docs/testing.md).
struct TestCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "test", abstract: ServerCommand.test.abstract,
    discussion: """
      Runs the *_spec.lua files named and those under the folders named (default: spec/). Exit status: \
      0 when every test passes, 1 when one fails or errors, 2 for a usage error.
      """)

  @Argument(help: ArgumentHelp("Spec files, or folders to search for *_spec.lua.", valueName: "PATH"))
  var paths: [String] = []

  @Option(help: ArgumentHelp("terminal, tap or junit (tap and junit write only the report to stdout).", valueName: "FORMAT"))
  var output: String = "terminal"

  @Option(help: ArgumentHelp("Run only tests whose full name matches this Lua pattern.", valueName: "PATTERN"))
  var filter: String?

  @Option(help: ArgumentHelp("Spec files run at once (each in its own VM, with its own fake Ashby).", valueName: "N"))
  var jobs: Int = 1

  @Option(help: ArgumentHelp("Seconds a spec file may run (and a script it runs) before it is stopped as an error.", valueName: "SECONDS"))
  var timeout: Double = 600

  func validate() throws {
    guard SpecReport.Format(rawValue: output) != nil else {
      throw ValidationError("--output \(output): expected terminal, tap or junit.")
    }
    guard (1...64).contains(jobs) else { throw ValidationError("--jobs must be from 1 to 64.") }
    guard timeout > 0 && timeout <= 86_400 else { throw ValidationError("--timeout must be from 0 to 86400 seconds.") }
    if let filter, let problem = try Self.patternProblem(filter) {
      throw ValidationError("--filter \(filter): not a Lua pattern (\(problem)).")
    }
  }

  /// Why `pattern` is not a Lua pattern, asked of Lua itself; nil when it is one.
  static func patternProblem(_ pattern: String) throws -> String? {
    let vm = try LuaVM()
    let answer = try vm.performBlocking { ctx in
      try ctx.run("local ok, why = pcall(string.find, '', ...) return ok and '' or tostring(why)", args: [.string(pattern)])
    }
    let text = answer.first?.stringValue ?? ""
    return text.isEmpty ? nil : text
  }

  func run() async throws {
    let format = SpecReport.Format(rawValue: output) ?? .terminal
    let beside = Handover.beside("ashby-lua")
    let program = FileManager.default.isExecutableFile(atPath: beside) ? beside : Handover.beside(Handover.serverName)
    let suite = SpecSuite(paths: paths, filter: filter, jobs: jobs, program: program, timeout: timeout)
    let files: [String]
    do { files = try suite.files() } catch {
      Console.error("ashby-lua: \(error)")
      throw ExitCode(ExitStatus.usage)
    }
    // A tap or junit report is all stdout holds: what a spec's commands print (`os.execute`,
    // `io.popen`'s children) goes to stderr, and the report to stdout as it was.
    var reportOutput = FileHandle.standardOutput
    if format != .terminal {
      let saved = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3)  // not inherited by a spec's commands
      if saved >= 0 && dup2(STDERR_FILENO, STDOUT_FILENO) >= 0 {
        reportOutput = FileHandle(fileDescriptor: saved, closeOnDealloc: true)
      }
    }
    let started = ContinuousClock.now
    let results = try await suite.run(files) { results in
      guard format == .terminal else { return }
      FileHandle.standardOutput.write(Data(results.map { SpecReport.mark($0.status) }.joined().utf8))
    }
    let elapsed = ContinuousClock.now - started
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let report =
      switch format {
      case .terminal: "\n" + SpecReport.terminal(results, seconds: seconds)
      case .tap: SpecReport.tap(results)
      case .junit: SpecReport.junit(results, seconds: seconds)
      }
    reportOutput.write(Data(report.utf8))
    let counts = SpecReport.counts(results)
    if counts.failure + counts.error > 0 { throw ExitCode(ExitStatus.scriptError) }
  }
}
