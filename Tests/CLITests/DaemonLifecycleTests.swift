import AshbyFake
import AshbyScheduler
import AshbyState
import Foundation
import AshbyTestSupport
import Synchronization
import Testing

/// The daemon as an operator meets it: signals, `kill -9`, restarts, two
/// daemons on one state. Real processes; each job writes one candidate at the
/// fake, then sleeps, so "written exactly once" is counted at the server.
@Suite(.serialized) struct DaemonLifecycleTests {
  /// A schedule whose job `writer` fires at once when the daemon starts (a
  /// missed fire, caught up), writes a candidate and naps.
  struct Bench {
    let setup: ScheduleTests.Setup
    let fake: FakeFixture
    let history: StateStore
    let email = "lifecycle-\(UUID().uuidString.prefix(8))@example.com"

    init(extra: String = "", catchUp: String = "last", overlap: String = "skip") async throws {
      fake = try await FakeFixture.start()
      setup = try ScheduleTests.Setup(
        schedule: """
          [[job]]
          name = "writer"
          script = "write-nap.lua"
          cron = "0 3 * * *"
          catch_up = "\(catchUp)"
          overlap = "\(overlap)"
          retries = 2
          retry_delay = 1
          args = ["\(email)"]
          \(extra)
          """)
      try """
        local c = ashby.create_candidate{ first_name = "Once", last_name = "Only", email = arg[1] }
        print("wrote " .. c.id)
        ashby.sleep(30)
        """.write(to: setup.work.appendingPathComponent("write-nap.lua"), atomically: true, encoding: .utf8)
      history = try FreshState.open(setup.historyPath)
      try history.setLastFire("writer", Date().addingTimeInterval(-3 * 86400))
    }

    func daemon(_ extraArgs: [String] = []) throws -> Process {
      let (process, log) = try launch(
        ["schedule", "run", "--file", setup.file, "--stop-grace", "1"] + extraArgs, home: setup.home,
        log: "daemon-\(UUID().uuidString).log", environment: fake.env)
      logs.append(log)
      return process
    }

    private var logs: [URL] { get { LogList.shared.urls } nonmutating set { LogList.shared.urls = newValue } }

    var written: Int { fake.fake.candidates(withEmail: email) }
    func runs() -> [RunRecord] { ((try? history.runs(job: "writer")) ?? []) }
  }

  /// Until `condition` holds, at most `seconds`.
  static func until(_ seconds: Double = 30, _ condition: () -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      if condition() { return true }
      try? await Task.sleep(for: .milliseconds(50))
    }
    return condition()
  }

  /// The pid of the first child of `pid` (the run), if any.
  static func child(of pid: Int32) -> Int32? { KeyOutOfReachTests().childrenOf(pid).first }

  static func alive(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    return !stat.contains(") Z ")  // a zombie has ended
  }

  @Test func killNineThenRestartInsideTheLease() async throws {
    let b = try await Bench()
    let first = try b.daemon()
    #expect(await Self.until { b.written == 1 })
    let run = try #require(Self.child(of: first.processIdentifier))
    kill(first.processIdentifier, SIGKILL)
    try await exited(first)
    // The run ends with its daemon (the lifeline), not 30 s later with its writes unrecorded.
    #expect(await Self.until(10) { !Self.alive(run) }, "the orphaned run went on")
    // A restart within the 90 s lease takes the dead daemon's lease back at once.
    let second = try b.daemon()
    #expect(await Self.until { b.runs().first?.status == .interrupted })
    #expect(try b.history.leaseHolder("writer", now: Date()) == nil)
    #expect(b.runs().count == 1, "\(b.runs().map(\.status))")
    #expect(b.written == 1)
    second.interrupt()
    try await exited(second)
    #expect(second.terminationStatus == 0)
    await b.fake.fake.stop()
  }

  /// A run left by a daemon of another host: its lease is honoured while it
  /// lasts (the fire is skipped, once), and once it has expired the run is
  /// recorded interrupted and the job is free.
  @Test(arguments: [true, false])
  func anotherHostsRunWaitsForItsLease(expired: Bool) async throws {
    let b = try await Bench()
    let now = Date()
    let foreign = "elsewhere:4242:1:beef"
    _ = try b.history.insert(
      RunRecord(
        job: "writer", trigger: .schedule, scheduledFor: now - 3600, startedAt: now - 3600, endedAt: nil,
        status: .running, attempts: 1, writes: 0, error: nil, owner: foreign))
    _ = try b.history.acquireLease("writer", owner: foreign, until: now + (expired ? -1 : 600), now: now - 3600)
    let daemon = try b.daemon()
    // Expired: the run is free, so wait for its write (its row comes first, before the child writes).
    #expect(await Self.until { expired ? b.written == 1 : b.runs().count == 2 })
    try await Task.sleep(for: .seconds(1))
    daemon.interrupt()
    try await exited(daemon)
    let runs = b.runs()
    let old = try #require(runs.first { $0.owner == foreign })
    if expired {
      #expect(old.status == .interrupted && old.error?.contains("stopped renewing its lease") == true)
      #expect(b.written == 1)
    } else {
      #expect(old.status == .running)  // still its owner's
      let skip = try #require(runs.first { $0.owner != foreign })
      #expect(skip.status == .skipped && skip.error?.contains("another daemon is running it") == true)
      #expect(runs.count == 2 && b.written == 0)
    }
    await b.fake.fake.stop()
  }

  @Test(arguments: [SIGTERM, SIGINT])
  func aStopDuringARunInterruptsItAndNeverRetries(_ signal: Int32) async throws {
    let b = try await Bench()
    let daemon = try b.daemon()
    #expect(await Self.until { b.written == 1 })
    kill(daemon.processIdentifier, signal)
    try await exited(daemon)
    #expect(daemon.terminationStatus == 0)
    await Self.expectOneInterruptedRun(b)
    #expect(b.runs().first?.output?.contains("wrote ") == true)
  }

  /// The run the stop cut short is recorded once, `interrupted` after its one attempt; its write was made once.
  static func expectOneInterruptedRun(_ b: Bench) async {
    let runs = b.runs()
    #expect(runs.count == 1 && runs.first?.status == .interrupted && runs.first?.attempts == 1, "\(runs.map(\.status))")
    #expect(b.written == 1)
    await b.fake.fake.stop()
  }

  /// systemd without `KillMode=mixed`: SIGTERM to the daemon and its run at once.
  @Test func aSystemdStyleStopOfTheWholeGroupNeverRetries() async throws {
    let b = try await Bench()
    let daemon = try b.daemon()
    #expect(await Self.until { b.written == 1 })
    let run = try #require(Self.child(of: daemon.processIdentifier))
    kill(run, SIGTERM)
    kill(daemon.processIdentifier, SIGTERM)
    try await exited(daemon)
    await Self.expectOneInterruptedRun(b)
  }

  @Test func sighupReloadsTheFileAndABadOneKeepsTheOld() async throws {
    let b = try await Bench()
    let daemon = try b.daemon()
    #expect(await Self.until { b.written == 1 })
    let original = try String(contentsOfFile: b.setup.file, encoding: .utf8)
    try (original + "\n[[job]]\nname = \"second\"\nscript = \"write-nap.lua\"\ncron = \"0 4 * * *\"\n").write(
      toFile: b.setup.file, atomically: true, encoding: .utf8)
    kill(daemon.processIdentifier, SIGHUP)
    let log = { LogList.shared.text }
    #expect(await Self.until(10) { log().contains("reloaded, 2 jobs") }, "\(log())")
    try "[[job]]\nname = \"broken\"\n".write(toFile: b.setup.file, atomically: true, encoding: .utf8)
    kill(daemon.processIdentifier, SIGHUP)
    #expect(await Self.until(10) { log().contains("keeping the old schedule") }, "\(log())")
    #expect(daemon.isRunning)
    #expect(b.runs().first?.status == .running)  // the run went on through both
    daemon.interrupt()
    try await exited(daemon)
    #expect(daemon.terminationStatus == 0)
    #expect(b.written == 1)
    await b.fake.fake.stop()
  }

  @Test func twoDaemonsOnOneStateRunTheFireOnce() async throws {
    let b = try await Bench()
    let (one, two) = (try b.daemon(), try b.daemon())
    #expect(await Self.until { b.written >= 1 })
    try await Task.sleep(for: .seconds(2))
    for d in [one, two] { d.interrupt() }
    for d in [one, two] { try await exited(d) }
    #expect(b.written == 1)
    let runs = b.runs()
    #expect(runs.count == 1, "one row for one fire: \(runs.map { "\($0.status) \($0.error ?? "")" })")
    await b.fake.fake.stop()
  }

  @Test func firesQueuedAtAStopAreRecorded() async throws {
    let b = try await Bench(catchUp: "all", overlap: "queue")
    let daemon = try b.daemon()
    #expect(await Self.until { b.written == 1 })
    daemon.interrupt()
    try await exited(daemon)
    let runs = b.runs()
    #expect(runs.count == 3, "\(runs.map(\.status))")  // three missed fires, caught up: one ran, two waited
    #expect(runs.filter { $0.status == .skipped && $0.error == "the daemon stopped before its turn" }.count == 2)
    #expect(runs.filter { $0.status == .interrupted }.count == 1)
    #expect(b.written == 1)
    await b.fake.fake.stop()
  }

  /// A stop while the daemon still opens its state (a database that takes the
  /// connection and never answers): the process ends at once and says so,
  /// neither killed by the signal nor waiting out the connection's deadline.
  @Test(arguments: [SIGTERM, SIGINT])
  func aStopWhileTheStateOpensEndsTheDaemonAtOnce(signal: Int32) async throws {
    let silent = try SilentListener()
    let setup = try ScheduleTests.Setup(schedule: jobTable("quiet", script: "quiet.lua", cron: "0 3 * * *"))
    try "print('quiet')".write(to: setup.work.appendingPathComponent("quiet.lua"), atomically: true, encoding: .utf8)
    let state = "postgres://ashby@127.0.0.1:\(silent.port)/ashby?sslmode=disable"
    let (daemon, log) = try launch(
      ["schedule", "run", "--file", setup.file], home: setup.home, log: "daemon.log",
      environment: [StateVariable.name: state])
    // The daemon's own event: its connection to the state has arrived.
    #expect(await Self.until(60) { silent.accepted() || !daemon.isRunning }, "the daemon never connected to its state")
    #expect(daemon.isRunning, "\((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
    kill(daemon.processIdentifier, signal)
    // The connection's deadline is 30 s; unloaded this takes a few milliseconds.
    #expect(await ended(daemon, within: 20, what: "the daemon stopped while its state opened"))
    let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
    #expect(daemon.terminationReason == .exit && daemon.terminationStatus == 0, "\(text)")
    #expect(text.contains("schedule: stopped before it started"), "\(text)")
    withExtendedLifetime(silent) {}  // its connection stays open, unanswered, to the end
  }
}

/// A TCP listener on loopback that takes connections and never says a word.
final class SilentListener: Sendable {
  let port: Int
  private let socket: Int32
  private let taken = Mutex<[Int32]>([])

  init() throws {
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    self.socket = socket
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
      pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
        bind(socket, address, length) == 0 && listen(socket, 8) == 0 && getsockname(socket, address, &length) == 0
      }
    }
    guard socket >= 0, bound, fcntl(socket, F_SETFL, O_NONBLOCK) == 0 else {
      throw POSIXError(.init(rawValue: errno) ?? .EIO)
    }
    port = Int(UInt16(bigEndian: address.sin_port))
  }

  /// Whether a connection has come (kept open, unanswered, until the listener goes).
  func accepted() -> Bool {
    let connection = accept(socket, nil, nil)
    if connection >= 0 { taken.withLock { $0.append(connection) } }
    return taken.withLock { !$0.isEmpty }
  }

  deinit {
    taken.withLock { $0.forEach { _ = close($0) } }
    close(socket)
  }
}

/// The daemon logs of the running test, to read back.
final class LogList: @unchecked Sendable {
  static let shared = LogList()
  private let lock = NSLock()
  private var list: [URL] = []
  var urls: [URL] {
    get { lock.withLock { list } }
    set { lock.withLock { list = newValue } }
  }
  var text: String { urls.compactMap { try? String(contentsOf: $0, encoding: .utf8) }.joined() }
}
