import AshbyFake
import AshbyPaths
import AshbyTestSupport
import Foundation
import Testing

/// With `HOME` set to another folder and no XDG variables (as CI systems and
/// containers run), every file goes under that `HOME`: the key, the state, the
/// REPL's history.
@Suite struct HomeFolderTests {
  @Test func configStateAndHistoryFollowHome() async throws {
    let f = try await FakeFixture.start()
    let home = try scratch()
    let noXDG = ["XDG_CONFIG_HOME": "", "XDG_STATE_HOME": "", "XDG_CACHE_HOME": "", "HOME": home.path]
    let login = try await run(
      ["auth", "login"], stdin: FakeAshby.fullKey + "\n",
      env: noXDG.merging(["ASHBY_BASE_URL": f.fake.baseURL.absoluteString]) { $1 }, home: home)
    #expect(login.status == 0, "\(login.all)")
    let config = home.appendingPathComponent(".config/ashby-lua/config.toml").path
    #expect(FileManager.default.fileExists(atPath: config))
    #expect(UserFolders.config(environment: ["HOME": home.path]) + "/config.toml" == config)

    let work = home.appendingPathComponent("work")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    try "print('ran')".write(to: work.appendingPathComponent("hi.lua"), atomically: true, encoding: .utf8)
    let file = work.appendingPathComponent("schedules.toml").path
    try "[[job]]\nname = \"hi\"\nscript = \"hi.lua\"\ncron = \"@daily\"\n".write(toFile: file, atomically: true, encoding: .utf8)
    var env = noXDG.merging(["ASHBY_BASE_URL": f.fake.baseURL.absoluteString]) { $1 }
    env["ASHBY_LUA_STATE"] = ""
    let trigger = try await run(["schedule", "trigger", "hi", "--file", file], env: env, home: home)
    #expect(trigger.status == 0, "\(trigger.all)")
    #expect(FileManager.default.fileExists(atPath: home.appendingPathComponent(".local/state/ashby-lua/schedule.sqlite").path))

    let repl = try await run(["repl", "--fake"], stdin: "return 1 + 1\n", env: noXDG, home: home)
    #expect(repl.status == 0, "\(repl.all)")
  }
}
