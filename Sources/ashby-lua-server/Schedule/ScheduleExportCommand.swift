import ArgumentParser
import AshbyCLI
import AshbyExport
import AshbyPostgres
import AshbyScheduler
import AshbyScripting
import AshbyState
import Foundation

/// `schedule export --systemd DIR | --kubernetes`: the schedule run by the engine a team already operates.
struct ScheduleExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Write the schedule as systemd units (--systemd DIR) or Kubernetes objects (--kubernetes).",
    discussion: """
      systemd: a .service + .timer pair per job; the timer fires on the job's cron in its time zone (two \
      OnCalendar= lines when both day fields are set, as cron fires on either), Persistent= follows catch_up. \
      Kubernetes: a CronJob per job, a Deployment and Service for the hooks, the scripts in a ConfigMap, the \
      state on a volume; the key and the hooks' secrets come from a Secret. Every run is `ashby-lua schedule \
      trigger JOB`, so its limits, retries, lease and history are as under `schedule run`. See docs/scaling.md.
      """)

  @Option(name: .shortAndLong, help: ArgumentHelp("The schedule.", valueName: "FILE")) var file = "schedules.toml"

  @Option(help: ArgumentHelp("Write systemd units into this folder (created if needed).", valueName: "DIR"))
  var systemd: String?

  @Flag(help: "Write Kubernetes objects as YAML (to --output, else standard output).")
  var kubernetes = false

  @Option(help: ArgumentHelp("With --kubernetes: the namespace.", valueName: "NAME")) var namespace = "default"
  @Option(help: ArgumentHelp("With --kubernetes: the image that holds ashby-lua (see Containerfile).", valueName: "IMAGE"))
  var image = "ashby-lua:latest"
  @Option(help: ArgumentHelp("With --kubernetes: the Secret with api-key and the hooks' secrets.", valueName: "NAME"))
  var secret = "ashby-lua"
  @Option(name: .shortAndLong, help: ArgumentHelp("With --kubernetes: write the YAML here.", valueName: "FILE"))
  var output: String?
  @Option(
    help: ArgumentHelp(
      "The state the exported runs share: postgres://user@host[:port]/db, its password kept out (PGPASSWORD, ~/.pgpass, or the Secret's pg-password) (default: the file's state key).",
      valueName: "URL"))
  var state: String?

  func validate() throws {
    guard (systemd != nil) != kubernetes else { throw ValidationError("Give one of --systemd DIR and --kubernetes.") }
    if output != nil && !kubernetes { throw ValidationError("--output goes with --kubernetes.") }
  }

  func run() throws {
    let schedule = try ScheduleFiles.load(file)
    let absolute = URL(fileURLWithPath: file).standardizedFileURL.path
    if let systemd {
      try writeUnits(schedule, file: absolute, into: systemd)
    } else {
      try writeManifests(schedule, file: absolute, state: try sharedState(state ?? schedule.state))
    }
  }

  /// The PostgreSQL URL the pods share (printable: never a password), or nil for the volume.
  func sharedState(_ spec: String?) throws -> String? {
    guard let spec else { return nil }
    guard StateLocation.isPostgres(spec) else {
      Console.error(
        "ashby-lua: pods on several nodes cannot share the SQLite file \(spec): give --state postgres://… (or leave the state out for a volume)")
      throw ExitCode(Exit.usage)
    }
    do {
      return try PostgresLocation(spec).description
    } catch let invalid as PostgresLocation.Invalid {
      Console.error("ashby-lua: \(invalid.description)")
      throw ExitCode(Exit.usage)
    }
  }

  func writeUnits(_ schedule: Schedule, file absolute: String, into folder: String) throws {
    do {
      try SystemdUnits.write(
        schedule, executable: Handover.beside("ashby-lua"), file: absolute, state: try unitState(), into: folder)
    } catch {
      Console.error("ashby-lua: cannot write the units into \(folder): \(error.localizedDescription)")
      throw ExitCode(Exit.usage)
    }
    let count = schedule.jobs.count
    print("wrote \(count) timer\(count == 1 ? "" : "s") and service\(count == 1 ? "" : "s") to \(folder)")
    for job in schedule.jobs { print("  \(SystemdUnits.name(job)).timer: \(job.cron.description) (\(job.zoneName))") }
    if !schedule.hooks.isEmpty {
      print("hooks are not exported: serve them with `ashby-lua schedule run --hooks-only --listen` (docs/hooks.md)")
    }
    print("install: copy them to ~/.config/systemd/user/, then `systemctl --user enable --now ashby-lua-JOB.timer`")
  }

  /// `--state` for the units, as given (a URL without its password, or a SQLite file).
  func unitState() throws -> String? {
    guard let state else { return nil }
    if StateLocation.isPostgres(state) { return try sharedState(state) }
    return URL(fileURLWithPath: state).standardizedFileURL.path
  }

  func writeManifests(_ schedule: Schedule, file absolute: String, state: String?) throws {
    var options = KubernetesManifests.Options()
    options.state = state
    options.namespace = namespace
    options.image = image
    options.secretName = secret
    let yaml: String
    do {
      yaml = try KubernetesManifests.yaml(schedule, file: absolute, options: options)
    } catch {
      Console.error("ashby-lua: cannot export \(file) for Kubernetes: \(error)")
      throw ExitCode(Exit.usage)
    }
    let header = "# Generated by `ashby-lua schedule export --kubernetes` from \(file); edit that file and export again.\n"
    if let output {
      do {
        try (header + yaml).write(toFile: output, atomically: true, encoding: .utf8)
      } catch {
        Console.error("ashby-lua: cannot write \(output): \(error.localizedDescription)")
        throw ExitCode(Exit.usage)
      }
      Console.error(
        "wrote \(output): apply with `kubectl apply -f \(output)` after creating the Secret \(secret) (api-key\(state == nil ? "" : ", pg-password"))")
    } else {
      print(header + yaml, terminator: "")
    }
  }
}
