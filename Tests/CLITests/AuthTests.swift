import AshbyFake
import AshbyTestSupport
import Foundation
import Testing

@Suite(.teardown) struct AuthTests {
  func configFile(_ home: URL) -> URL { home.appendingPathComponent("config/ashby-lua/config.toml") }

  @Test func loginVerifiesAndWritesA0600File() async throws {
    let f = try await FakeFixture.start()
    let home = try scratch()
    let r = try await run(
      ["auth", "login"], stdin: FakeAshby.fullKey + "\n", env: ["ASHBY_BASE_URL": f.fake.baseURL.absoluteString],
      home: home)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("••••0001"))
    #expect(f.fake.count("apiKey.info") == 1)
    let attributes = try FileManager.default.attributesOfItem(atPath: configFile(home).path)
    #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    let text = try String(contentsOf: configFile(home), encoding: .utf8)
    #expect(text.contains("[default]"))
    // The stored key is used by later commands.
    let jobs = try await run(
      ["run", "-e", "print(#ashby.list_jobs().jobs > 0)"], env: ["ASHBY_BASE_URL": f.fake.baseURL.absoluteString],
      home: home)
    #expect(jobs.stdout == "true\n")
    await f.fake.stop()
  }

  @Test func aWrongKeyIsNotSaved() async throws {
    let f = try await FakeFixture.start()
    let home = try scratch()
    let r = try await run(
      ["auth", "login"], stdin: "definitely-wrong-key-1234\n", env: ["ASHBY_BASE_URL": f.fake.baseURL.absoluteString],
      home: home)
    #expect(r.status == 3)
    #expect(!FileManager.default.fileExists(atPath: configFile(home).path))
    #expect(!r.all.contains("definitely-wrong-key-1234"))
    await f.fake.stop()
  }

  @Test func aGroupReadableFileIsRefusedWithTheFix() async throws {
    let home = try scratch()
    let file = configFile(home)
    try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
    try "[default]\napi_key = \"secret-from-file-5678\"\n".write(to: file, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: file.path)
    let r = try await run(["run", "-e", "print(1)"], home: home)
    #expect(r.status == 2)
    #expect(r.stderr.contains("chmod 600"))
    #expect(!r.all.contains("secret-from-file-5678"))
    let status = try await run(["auth", "status"], home: home)
    #expect(status.status == 2)
  }

  @Test func apiKeyCommandAndTheEnvironmentWins() async throws {
    let f = try await FakeFixture.start()
    let home = try scratch()
    let file = configFile(home)
    try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
    try "[work]\napi_key_command = \"echo \(FakeAshby.fullKey)\"\n".write(to: file, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
    let env = ["ASHBY_BASE_URL": f.fake.baseURL.absoluteString]
    let status = try await run(["auth", "status", "--profile", "work"], env: env, home: home)
    #expect(status.status == 0, "\(status.all)")
    #expect(status.stdout.contains("api_key_command"))
    #expect(status.stdout.contains("••••0001"))
    #expect(status.stdout.contains("works: yes"))
    let jobs = try await run(
      ["run", "--profile", "work", "-e", "print(#ashby.list_jobs().jobs > 0)"], env: env, home: home)
    #expect(jobs.stdout == "true\n")
    let wrongEnv = try await run(
      ["auth", "status", "--profile", "work"], env: env.merging(["ASHBY_API_KEY": "env-key-wins-0000"]) { a, _ in a },
      home: home)
    #expect(wrongEnv.stdout.contains("ASHBY_API_KEY"))
    #expect(wrongEnv.stdout.contains("works: no"))
    #expect(wrongEnv.status == 3)
    await f.fake.stop()
  }

  @Test func logoutRemovesTheProfile() async throws {
    let f = try await FakeFixture.start()
    let home = try scratch()
    let env = ["ASHBY_BASE_URL": f.fake.baseURL.absoluteString]
    _ = try await run(["auth", "login", "--profile", "p1"], stdin: FakeAshby.fullKey + "\n", env: env, home: home)
    let out = try await run(["auth", "logout", "--profile", "p1"], home: home)
    #expect(out.stdout.contains("removed profile \"p1\""))
    let status = try await run(["auth", "status", "--profile", "p1"], home: home)
    #expect(status.status == 3)
    #expect(status.stdout.contains("no key"))
    await f.fake.stop()
  }

  @Test func noCommandEverPrintsTheKey() async throws {
    let f = try await FakeFixture.start()
    let home = try scratch()
    var env = f.env
    env["ASHBY_API_KEY"] = FakeAshby.fullKey
    let commands: [[String]] = [
      ["auth", "status"], ["run", "--verbose", "-e", "print(pcall(ashby.get_job, 'x'))"],
      ["run", "-e", "for k, v in pairs(_G) do print(k, v) end; print(os.getenv('HOME'))"],
      ["repl"], ["types"],
      ["run", "--dry-run", "-e", "ashby.create_candidate{ first_name='a', last_name='b', email='a@b.co' }"],
    ]
    for command in commands {
      let r = try await run(command, stdin: "ashby\n", env: env, home: home)
      #expect(!r.all.contains(FakeAshby.fullKey), "\(command)")
    }
    // Nor is it reachable from Lua: not through os.getenv, not by a child process.
    let getenv = try await run(
      ["run", "-e", "print(os.getenv('ASHBY_API_KEY'), io.popen('env'):read('a'):find('ASHBY_API_KEY', 1, true))"],
      env: env, home: home)
    #expect(getenv.stdout == "nil\tnil\n")
    await f.fake.stop()
  }

  @Test func aProfilesRateLimitIsReadAndChecked() async throws {
    let f = try await FakeFixture.start()
    onTeardown { await f.fake.stop() }
    let home = try scratch()
    let file = configFile(home)
    try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
    try "[default]\napi_key = \"\(FakeAshby.fullKey)\"\nrate_limit = 0\n".write(to: file, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
    let env = ["ASHBY_BASE_URL": f.fake.baseURL.absoluteString]
    let bad = try await run(["run", "-e", "print(1)"], env: env, home: home)
    #expect(bad.status == 2)
    #expect(bad.stderr.contains("[default] rate_limit must be a whole number of requests per minute"))
    let flag = try await run(["run", "--rate-limit", "50", "-e", "print(#ashby.list_jobs().jobs > 0)"], env: env, home: home)
    #expect(flag.stdout == "true\n", "\(flag.all)")  // the flag wins over the file
    let zero = try await run(["run", "--rate-limit", "0", "-e", "print(1)"], env: env, home: home)
    #expect(zero.status == 2)
  }
}
