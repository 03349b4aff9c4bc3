import AshbyExport
import AshbyScheduler
import Foundation
import AshbyTestSupport
import Testing

/// `schedule export --systemd`: units systemd accepts, timers that fire when
/// the job's cron does (asked of systemd itself), and a service that records
/// its run in the history.
@Suite struct ScheduleExportTests {
  static let everyKey = """
    [defaults]
    timezone = "Europe/Berlin"

    [[job]]
    name = "weekday-mornings"
    script = "hire.lua"
    cron = "0,30 8 * * mon-fri"
    catch_up = "last"
    timeout = "10m"
    retries = 2
    retry_delay = "5s"
    overlap = "queue"
    grace = "5m"
    sandbox = false
    dry_run = true
    args = ["export@example.com"]
    env = { TEAM = "emea" }
    keep = { runs = 50, age = "30d" }
    on_failure = "echo failed"
    rate_limit = 100

    [[job]]
    name = "either-day"
    script = "hire.lua"
    cron = "15 */6 1,15 * sun"
    timezone = "America/New_York"

    [[job]]
    name = "steps"
    script = "hire.lua"
    cron = "*/20 9-17/2 * jan,jul *"
    timezone = "UTC"

    [[job]]
    name = "monthly"
    script = "hire.lua"
    cron = "@monthly"
    timezone = "Asia/Kolkata"
    """

  /// A cron systemd can run and Kubernetes cannot (its day rule differs): for the systemd tests.
  static let systemdOnly = everyKey + """


    [[job]]
    name = "odd-mondays"
    script = "hire.lua"
    cron = "0 6 */2 * mon"
    """

  /// Runs a program; its status, stdout and stderr.
  static func shell(_ program: String, _ args: [String]) throws -> (Int32, String, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = args
    process.environment = ProcessInfo.processInfo.environment.merging(["TZ": "UTC"]) { $1 }  // systemd prints times in UTC
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
  }

  static let analyze = "/usr/bin/systemd-analyze"

  @Test(arguments: ["scripts", "every-key"])
  func theUnitsPassSystemdAnalyzeVerify(_ which: String) async throws {
    let s = try ScheduleTests.Setup(schedule: Self.systemdOnly)
    let file = which == "scripts" ? packageRoot.appendingPathComponent("scripts/schedules.toml").path : s.file
    let out = s.home.appendingPathComponent("units").path
    let r = try await run(["schedule", "export", "--file", file, "--systemd", out], home: s.home)
    #expect(r.status == 0, "\(r.stderr)")
    let units = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
    let jobs = try ScheduleFile.load(file)
    #expect(units.count == jobs.count * 2)
    let (status, stdout, stderr) = try Self.shell(Self.analyze, ["verify", "--man=no"] + units.map { "\(out)/\($0)" })
    #expect(status == 0 && stderr.isEmpty, "systemd-analyze verify: \(stdout)\(stderr)")
  }

  /// The user unit the package ships for the daemon (packaging/), as an instance, with ashby-lua where this build has it.
  @Test func theShippedDaemonUnitPassesSystemdAnalyzeVerify() throws {
    let template = try String(
      contentsOf: packageRoot.appendingPathComponent("packaging/ashby-lua-schedule@.service"), encoding: .utf8)
    #expect(template.contains("ExecStart=/usr/bin/ashby-lua schedule run --file %E/ashby-lua/%i.toml"))
    let folder = try scratch()
    let unit = folder.appendingPathComponent("ashby-lua-schedule@recruiting.service")
    try template.replacingOccurrences(of: "/usr/bin/ashby-lua", with: binary.path)
      .write(to: unit, atomically: true, encoding: .utf8)
    let (status, stdout, stderr) = try Self.shell(Self.analyze, ["verify", "--man=no", unit.path])
    #expect(status == 0 && stderr.isEmpty, "systemd-analyze verify: \(stdout)\(stderr)")
  }

  @Test func theTimersFireWhenTheCronDoes() throws {
    let s = try ScheduleTests.Setup(schedule: Self.systemdOnly)
    for job in try ScheduleFile.load(s.file) {
      // systemd's next elapses over every OnCalendar= line, merged, against the cron's own.
      var elapses: [Date] = []
      for spec in SystemdUnits.calendar(job.cron, zone: job.timeZone) {
        let (status, stdout, stderr) = try Self.shell(Self.analyze, ["calendar", "--iterations=6", spec])
        #expect(status == 0, "\(spec): \(stderr)")
        elapses += Self.utcTimes(stdout)
      }
      let fromSystemd = Array(Set(elapses).sorted().prefix(6))
      var fromCron: [Date] = []
      var cursor = Date()
      while fromCron.count < 6, let next = job.cron.next(after: cursor, in: job.timeZone) {
        fromCron.append(next)
        cursor = next
      }
      #expect(fromSystemd == fromCron, "\(job.name) (\(job.cron)): systemd \(fromSystemd) vs cron \(fromCron)")
    }
    #expect(SystemdUnits.calendar(try CronExpression("15 */6 1,15 * sun"), zone: .gmt).count == 2)
  }

  /// The elapses `systemd-analyze calendar` prints ("Next elapse: ...", "Iter. #2: ..."), run with TZ=UTC.
  static func utcTimes(_ text: String) -> [Date] {
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = TimeZone(identifier: "UTC")
    f.dateFormat = "EEE yyyy-MM-dd HH:mm:ss"
    return text.split(separator: "\n").compactMap { line in
      let text = line.trimmingCharacters(in: .whitespaces)
      guard text.hasPrefix("Next elapse: ") || text.hasPrefix("Iter. #"), let colon = text.firstIndex(of: ":") else {
        return nil
      }
      let when = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      return f.date(from: when.replacingOccurrences(of: " UTC", with: ""))
    }
  }

  @Test func theServiceRunsTriggerAndTheHistoryRecordsIt() async throws {
    let f = try await FakeFixture.start()
    let s = try ScheduleTests.Setup(
      schedule: jobTable("hire", script: "hire.lua", cron: "@daily", #"args = ["unit@example.com"]"#))
    let out = s.home.appendingPathComponent("units").path
    #expect(try await run(["schedule", "export", "--file", s.file, "--systemd", out], home: s.home).status == 0)
    let service = try String(contentsOfFile: "\(out)/ashby-lua-hire.service", encoding: .utf8)
    let exec = try #require(service.split(separator: "\n").first { $0.hasPrefix("ExecStart=") }).dropFirst(10)
    let words = ReadmeTests.words(String(exec))
    #expect(words.dropFirst().prefix(3) == ["schedule", "trigger", "hire"])
    // As systemd would run it: the command line of the unit, from its working directory.
    let r = try await run(Array(words.dropFirst()), env: f.env, home: s.home)
    #expect(r.status == 0, "\(r.stderr)")
    let runs = try FreshState.open(s.historyPath).runs(job: "hire")
    #expect(runs.count == 1 && runs[0].status == .ok && runs[0].trigger == .manual)
    #expect(f.fake.candidates(withEmail: "unit@example.com") == 1)
    let timer = try String(contentsOfFile: "\(out)/ashby-lua-hire.timer", encoding: .utf8)
    #expect(timer.contains("OnCalendar=*-*-* 00:00:00 ") && timer.contains("Persistent=false"))
    await f.fake.stop()
  }

  // MARK: Kubernetes

  static let validator = packageRoot.appendingPathComponent(".build-tools/k8s/bin/kubernetes-validate").path

  static let withHooks = everyKey + """


    [[hook]]
    name = "welcome"
    events = ["applicationSubmit"]
    script = "hire.lua"
    secret_env = "ASHBY_WEBHOOK_SECRET"
    """

  /// The documents of a YAML stream, as JSON (read back by Python's yaml, not by our writer).
  static func documents(_ yaml: String) throws -> [[String: Any]] {
    let file = try scratch().appendingPathComponent("k.yaml")
    try yaml.write(to: file, atomically: true, encoding: .utf8)
    let (status, out, err) = try shell(
      "/usr/bin/python3", ["-c", "import json,sys,yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))", file.path])
    guard status == 0 else { throw HookTestError("yaml: \(err)") }
    return (try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]]) ?? []
  }

  @Test(arguments: ["scripts", "every-key"])
  func theKubernetesObjectsMatchTheAPISchema(_ which: String) async throws {
    #expect(FileManager.default.isExecutableFile(atPath: Self.validator), "run scripts/setup-deps test (kubernetes-validate)")
    let s = try ScheduleTests.Setup(schedule: Self.withHooks)
    let file = which == "scripts" ? packageRoot.appendingPathComponent("scripts/schedules.toml").path : s.file
    let out = s.home.appendingPathComponent("k8s.yaml").path
    let r = try await run(
      ["schedule", "export", "--kubernetes", "--file", file, "--namespace", "recruiting", "--image", "registry.example/ashby-lua:1", "-o", out],
      home: s.home)
    #expect(r.status == 0, "\(r.stderr)")
    let (status, stdout, stderr) = try Self.shell(Self.validator, ["--strict", "-k", "1.30.0", out])
    #expect(status == 0 && !stdout.contains("ERROR") && !stderr.contains("ERROR"), "\(stdout)\(stderr)")
    let docs = try Self.documents(try String(contentsOfFile: out, encoding: .utf8))
    let jobs = try ScheduleFile.load(file)
    #expect(docs.filter { $0["kind"] as? String == "CronJob" }.count == jobs.count)
    #expect(docs.allSatisfy { ($0["metadata"] as? [String: Any])?["namespace"] as? String == "recruiting" })
    #expect(stdout.components(separatedBy: " passed for resource ").count - 1 == docs.count, "\(stdout)")
  }

  @Test func everyKeyMapsOntoTheCronJob() async throws {
    let s = try ScheduleTests.Setup(schedule: Self.withHooks)
    let r = try await run(["schedule", "export", "--kubernetes", "--file", s.file], home: s.home)
    #expect(r.status == 0, "\(r.stderr)")
    let docs = try Self.documents(r.stdout)
    func cronJob(_ name: String) -> [String: Any]? {
      docs.first { $0["kind"] as? String == "CronJob" && ($0["metadata"] as? [String: Any])?["name"] as? String == name }?["spec"]
        as? [String: Any]
    }
    let morning = try #require(cronJob("ashby-lua-weekday-mornings"))
    #expect(morning["schedule"] as? String == "0,30 8 * * 1-5" && morning["timeZone"] as? String == "Europe/Berlin")
    #expect(morning["concurrencyPolicy"] as? String == "Forbid" && morning["startingDeadlineSeconds"] as? Int == 86400)
    #expect(morning["successfulJobsHistoryLimit"] as? Int == 20)
    let template = try #require((morning["jobTemplate"] as? [String: Any])?["spec"] as? [String: Any])
    #expect(template["backoffLimit"] as? Int == 2 && template["activeDeadlineSeconds"] as? Int == 3 * 600 + 1200 + 60)
    let pod = try #require(((template["template"] as? [String: Any])?["spec"] as? [String: Any]))
    let container = try #require((pod["containers"] as? [[String: Any]])?.first)
    #expect(container["args"] as? [String] == [
      "schedule", "trigger", "weekday-mornings", "--file", "/etc/ashby-lua/schedules.toml", "--no-retry",
      "--stop-grace", "600",
    ])
    // A drained node lets the run finish: Kubernetes' SIGKILL comes after the run's budget, not 30 s on.
    #expect(pod["terminationGracePeriodSeconds"] as? Int == 3 * 600 + 1200 + 60 + 30)
    let either = try #require(cronJob("ashby-lua-either-day"))
    #expect(either["schedule"] as? String == "15 0,6,12,18 1,15 * 0" && either["startingDeadlineSeconds"] as? Int == 60)
    #expect(try #require(cronJob("ashby-lua-monthly"))["schedule"] as? String == "0 0 1 * *")
    // The hooks: a Deployment serving them only, its Service, the webhook secret from the Secret.
    let deployment = try #require(docs.first { $0["kind"] as? String == "Deployment" })
    let text = String(describing: deployment)
    #expect(text.contains("--hooks-only") && text.contains("ashby-webhook-secret") && text.contains("/healthz"))
    let hooksPod = try #require(
      (((deployment["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any]))
    let hooksArgs = try #require((hooksPod["containers"] as? [[String: Any]])?.first?["args"] as? [String])
    let grace = try #require(hooksArgs.firstIndex(of: "--stop-grace").flatMap { Int(hooksArgs[$0 + 1]) })
    #expect((hooksPod["terminationGracePeriodSeconds"] as? Int ?? 0) > grace + 5, "\(hooksPod)")
    #expect(docs.contains { $0["kind"] as? String == "Service" })
    let config = try #require(docs.first { $0["kind"] as? String == "ConfigMap" }?["data"] as? [String: Any])
    #expect(config["schedules.toml"] as? String == (try String(contentsOfFile: s.file, encoding: .utf8)))
    #expect((config["hire.lua"] as? String)?.contains("ashby.create_candidate") == true)
  }

  @Test func onPostgresThePodsShareTheStateAndNoVolume() async throws {
    let s = try ScheduleTests.Setup(schedule: Self.withHooks)
    let out = s.home.appendingPathComponent("k8s.yaml").path
    let url = "postgres://ashby@db.recruiting.svc:5433/ashby?sslmode=require"
    let r = try await run(["schedule", "export", "--kubernetes", "--file", s.file, "--state", url, "-o", out], home: s.home)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("pg-password"))
    let (status, stdout, stderr) = try Self.shell(Self.validator, ["--strict", "-k", "1.30.0", out])
    #expect(status == 0 && !stdout.contains("ERROR") && !stderr.contains("ERROR"), "\(stdout)\(stderr)")
    let docs = try Self.documents(try String(contentsOfFile: out, encoding: .utf8))
    #expect(!docs.contains { $0["kind"] as? String == "PersistentVolumeClaim" })
    let pods = docs.compactMap { doc -> [String: Any]? in
      let spec = doc["spec"] as? [String: Any]
      let template = (doc["kind"] as? String == "CronJob" ? (spec?["jobTemplate"] as? [String: Any])?["spec"] as? [String: Any] : spec)
      return (template?["template"] as? [String: Any])?["spec"] as? [String: Any]
    }
    #expect(pods.count == docs.filter { ["CronJob", "Deployment"].contains($0["kind"] as? String) }.count)
    for pod in pods {
      let container = try #require((pod["containers"] as? [[String: Any]])?.first)
      let env = try #require(container["env"] as? [[String: Any]])
      #expect(env.contains { $0["name"] as? String == "ASHBY_LUA_STATE" && $0["value"] as? String == url })
      let password = env.first { $0["name"] as? String == "PGPASSWORD" }
      #expect(String(describing: password).contains("pg-password"))
      #expect(!String(describing: pod["volumes"]).contains("persistentVolumeClaim"))
    }
    let deployment = try #require(docs.first { $0["kind"] as? String == "Deployment" }?["spec"] as? [String: Any])
    #expect(deployment["replicas"] as? Int == 2)
    // The state key of the file does the same; a password in the URL, or a SQLite file, is refused.
    try (Self.withHooks.replacingOccurrences(of: "[defaults]", with: "state = \"\(url)\"\n\n[defaults]"))
      .write(toFile: s.file, atomically: true, encoding: .utf8)
    let fromFile = try await run(["schedule", "export", "--kubernetes", "--file", s.file], home: s.home)
    #expect(fromFile.status == 0 && fromFile.stdout.contains("ASHBY_LUA_STATE") && !fromFile.stdout.contains("PersistentVolumeClaim"), "\(fromFile.stderr)")
    let secret = try await run(
      ["schedule", "export", "--kubernetes", "--file", s.file, "--state", "postgres://ashby:hunter2-secret@db/ashby"], home: s.home)
    #expect(secret.status == 2 && secret.stderr.contains("holds a password") && !secret.all.contains("hunter2-secret"))
    let sqlite = try await run(
      ["schedule", "export", "--kubernetes", "--file", s.file, "--state", "/var/lib/x.sqlite"], home: s.home)
    #expect(sqlite.status == 2 && sqlite.stderr.contains("cannot share the SQLite file"))
    // systemd: the units' runs take the state as given, and still verify.
    let units = s.home.appendingPathComponent("units").path
    let unitRun = try await run(
      ["schedule", "export", "--file", s.file, "--systemd", units, "--state", "postgres://ashby@db/ashby"], home: s.home)
    #expect(unitRun.status == 0, "\(unitRun.stderr)")
    let service = try String(contentsOfFile: "\(units)/ashby-lua-weekday-mornings.service", encoding: .utf8)
    #expect(service.contains("--state postgres://ashby@db/ashby\n"))
  }

  @Test func whatKubernetesCannotRunIsRefusedClearly() async throws {
    let s = try ScheduleTests.Setup(
      schedule: """
        [[job]]
        name = "odd-mondays"
        script = "hire.lua"
        cron = "0 6 */2 * mon"

        \(Self.commandHook)
        """)
    let r = try await run(["schedule", "export", "--kubernetes", "--file", s.file], home: s.home)
    #expect(r.status == 2 && r.stderr.contains("restricts both day fields with a `*` step"), "\(r.stderr)")
    try Self.commandHook.write(toFile: s.file, atomically: true, encoding: .utf8)
    let hook = try await run(["schedule", "export", "--kubernetes", "--file", s.file], home: s.home)
    #expect(hook.status == 2 && hook.stderr.contains("secret_command, which a pod cannot run"), "\(hook.stderr)")
  }

  /// A hook whose secret comes from a command: what a pod cannot run.
  static let commandHook = hookTable("h", script: "hire.lua", secret: #"secret_command = "pass show x""#)
}
