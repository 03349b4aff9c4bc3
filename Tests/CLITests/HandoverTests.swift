import AshbyTestSupport
import Foundation
import Testing

/// `ashby-lua` hands what needs a server over to `ashby-lua-server` beside it:
/// with its arguments and the key, which the server takes out of its
/// environment again; without the server, or with a wrong one, it says so.
@Suite struct HandoverTests {
  /// A folder with a copy of `ashby-lua` and, as `server`, what stands beside it.
  func folder(server: String?) throws -> URL {
    let dir = try scratch().appendingPathComponent("bin")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: binary, to: dir.appendingPathComponent("ashby-lua"))
    if let server {
      try FileManager.default.copyItem(
        at: binary.deletingLastPathComponent().appendingPathComponent(server),
        to: dir.appendingPathComponent("ashby-lua-server"))
    }
    return dir.appendingPathComponent("ashby-lua")
  }

  @Test func withoutTheServerACommandThatNeedsItSaysSo() async throws {
    let program = try folder(server: nil)
    for args in [["schedule", "list"], ["run", "--fake", "-e", "print(1)"]] {
      let r = try await run(args, executable: program)
      #expect(r.status == 2, "\(args)")
      #expect(r.stderr.contains("needs ashby-lua-server, installed beside ashby-lua"), "\(r.stderr)")
    }
  }

  /// What needs the whole command tree is the server's to answer: `help schedule` lists schedule's own
  /// commands, and the completion script completes them (ManualTests checks it names every command).
  @Test func helpAboutAServerCommandIsTheServers() async throws {
    let help = try await run(["help", "schedule"])
    #expect(help.status == 0, "\(help.stderr)")
    #expect(help.stdout.contains("migrate-state"), "\(help.stdout)")
    let completion = try await run(["--generate-completion-script=bash"])
    #expect(completion.stdout.contains("_ashby-lua_schedule_migrate-state()"))
  }

  /// A "server" that is `ashby-lua` itself would hand the command back forever: it stops at once.
  @Test func aServerThatHandsBackStopsInsteadOfLooping() async throws {
    let program = try folder(server: "ashby-lua")
    let r = try await run(["schedule", "list"], timeout: 20, executable: program)
    #expect(r.status == 2)
    #expect(r.stderr.contains("is not ashby-lua-server"), "\(r.stderr)")
  }

  /// After a handover the key is nowhere to be read: not in the server's environment, not to a child,
  /// and the handover's marker is gone too. (That the key crosses: every `schedule trigger` test
  /// calls the fake with it, through `ashby-lua`.)
  @Test func theKeyCrossesTheHandoverAndStaysOutOfEveryEnvironment() async throws {
    let key = "sk-handover-\(UUID().uuidString)"
    let program = try folder(server: "ashby-lua-server")
    let script = """
      local f = io.open('/proc/self/environ', 'rb'); local env = f:read('a'); f:close()
      print(env:find('sk-handover', 1, true) and 'environ: leak' or 'environ: clean')
      print(os.getenv('ASHBY_API_KEY') == nil and 'getenv: clean' or 'getenv: leak')
      print(os.getenv('ASHBY_LUA_HANDED_OVER') == nil and 'marker: gone' or 'marker: kept')
      os.execute('env | grep -c sk-handover || true')
      print('jobs: ' .. #ashby.list_jobs{}.jobs)
      """
    let r = try await run(["run", "--fake", "-e", script], env: ["ASHBY_API_KEY": key], executable: program)
    #expect(r.status == 0, "\(r.all)")
    for line in ["environ: clean", "getenv: clean", "marker: gone", "\n0\n"] {
      #expect(r.stdout.contains(line), "\(line): \(r.stdout)")
    }
    #expect(r.stdout.contains("jobs: "))
    #expect(!r.all.contains(key))
  }
}
