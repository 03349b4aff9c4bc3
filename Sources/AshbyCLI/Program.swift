import AshbyProcess
import AshbyScripting
import AshbyState
import Foundation
import Synchronization

/// What the program running a command links beyond the command line's own
/// modules. `ashby-lua` starts fast because it links no server: the fake
/// Ashby, PostgreSQL, the daemon and the MCP server live in
/// `ashby-lua-server`, installed beside it, which registers its parts here
/// at start. A command that needs a part this program lacks hands itself
/// over (`Handover`).
public enum ProgramParts {
  struct Parts: Sendable {
    var demo: (@Sendable () async throws -> any DemoServer)?
    var postgres: StateLocation.PostgresOpener?
  }
  private static let parts = Mutex(Parts())

  public static func register(
    demo: @escaping @Sendable () async throws -> any DemoServer, postgres: @escaping StateLocation.PostgresOpener
  ) {
    parts.withLock { $0 = Parts(demo: demo, postgres: postgres) }
  }

  static var demo: (@Sendable () async throws -> any DemoServer)? { parts.withLock { $0.demo } }

  /// How to start the fake Ashby for `settings`: nil when they do not ask for it; when they do and this
  /// program has none, the process is handed over to the server (so this returns only where it can).
  package static func demo(for settings: RunSettings) -> (@Sendable () async throws -> any DemoServer)? {
    guard settings.fake else { return nil }
    guard let demo else { Handover.toServer(for: "--fake") }
    return demo
  }
  static var postgres: StateLocation.PostgresOpener? { parts.withLock { $0.postgres } }
}

/// Replaces this process with `ashby-lua-server` (found beside this
/// program), with the same arguments and the secrets taken from the
/// environment put back in it for the server to take again (`ProcessSecrets`).
public enum Handover {
  /// The subcommands only the server has.
  public static let serverCommands = Set(ServerCommand.allCases.map(\.rawValue))

  /// A PostgreSQL state in a program that cannot open one: hands over now, before anything runs.
  package static func ifPostgres(_ spec: String) {
    if StateLocation.isPostgres(spec) && ProgramParts.postgres == nil { toServer(for: "a PostgreSQL state") }
  }

  /// Whether the server must answer `arguments`: its own commands, help about them, and what prints the
  /// whole command tree (completion scripts, the help dump the man page is made from), which only the server links.
  public static func isForServer(_ arguments: [String]) -> Bool {
    guard let first = arguments.first else { return false }
    if serverCommands.contains(first) { return true }
    if first == "help", arguments.count > 1, serverCommands.contains(arguments[1]) { return true }
    return first == "--experimental-dump-help" || first == "--generate-completion-script"
      || first.hasPrefix("--generate-completion-script=")
  }
  public static let serverName = "ashby-lua-server"

  /// The program `name` in this program's folder (the real one: a symbolic link to this program is followed).
  /// Needs /proc, as the Swift runtime does for the arguments themselves.
  package static func beside(_ name: String) -> String {
    let me =
      (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments.first
      ?? "ashby-lua"
    let path = me.hasPrefix("/") ? me : FileManager.default.currentDirectoryPath + "/" + me
    return URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(name).path
  }

  /// Set in the server's environment by a handover: a program that finds it
  /// and would hand over again is not the server, and says so instead of looping.
  public static let marker = "ASHBY_LUA_HANDED_OVER"

  /// Never returns: the server runs the command, or this exits 2 saying why it cannot.
  public static func toServer(for what: String) -> Never {
    let path = beside(serverName)
    fflush(nil)
    if getenv(marker) != nil {
      Console.error("ashby-lua: \(path) is not \(serverName): it handed \(what) back; reinstall both programs")
      exit(ExitStatus.usage)
    }
    var argv: [UnsafeMutablePointer<CChar>?] = [strdup(path)]
    // As given: bytes, not repaired text (a program started with no argv at all has argc 0).
    for i in 1..<max(1, Int(CommandLine.argc)) { argv.append(CommandLine.unsafeArgv[i].flatMap { strdup($0) }) }
    argv.append(nil)
    var envp = (ProcessSecrets.environmentForChild() + ["\(marker)=1"]).map { strdup($0) }
    for name in ProcessSecrets.atStart { if let value = ProcessSecrets.value(name) { envp.append(strdup("\(name)=\(value)")) } }
    envp.append(nil)
    execve(path, argv, envp)
    let why = String(cString: strerror(errno))
    Console.error(
      "ashby-lua: \(what) needs \(serverName), installed beside ashby-lua (\(path): \(why)); build it with `swift build --product \(serverName)`."
    )
    exit(ExitStatus.usage)
  }
}

/// The subcommands only `ashby-lua-server` has, and what each does: one
/// place for the name and the line both programs' `--help` show.
public enum ServerCommand: String, CaseIterable, Sendable {
  case schedule
  case hook
  case fakeServer = "fake-server"
  case test
  case mcp

  public var abstract: String {
    switch self {
    case .schedule: "Run scripts on a timetable from schedules.toml (cron, time zones, history)."
    case .hook: "Manage the Ashby webhooks that deliver to `schedule run --listen` ([[hook]] in schedules.toml)."
    case .fakeServer: "Serve a fake Ashby API on loopback (demo data, fault injection) until interrupted."
    case .mcp: "Serve the Model Context Protocol on stdio: agents run Lua as dry runs, and their writes become plans a person approves."
    case .test: "Run *_spec.lua files (busted's describe/it/assert), each test against a fresh fake Ashby."
    }
  }
}
