import ArgumentParser
import AshbyScheduler
import Foundation

/// `schedule export --systemd DIR`: the jobs as systemd units, for machines that run everything with systemd.
struct ScheduleExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Write each job as a systemd .service + .timer pair that runs `schedule trigger JOB`.",
    discussion: """
      The timer fires on the job's cron in its time zone (two OnCalendar= lines when both day fields are \
      set, as cron fires on either); Persistent= follows catch_up. The service runs `ashby-lua schedule \
      trigger`, so the job's limits, retries, lease and history are the same as under `schedule run`. \
      See docs/scheduling.md.
      """)

  @Option(name: .shortAndLong, help: ArgumentHelp("The schedule.", valueName: "FILE")) var file = "schedules.toml"

  @Option(help: ArgumentHelp("Write the units into this folder (created if needed).", valueName: "DIR"))
  var systemd: String

  func run() throws {
    let schedule = try ScheduleFiles.load(file)
    let absolute = URL(fileURLWithPath: file).standardizedFileURL.path
    do {
      try FileManager.default.createDirectory(atPath: systemd, withIntermediateDirectories: true)
      for job in schedule.jobs {
        let base = URL(fileURLWithPath: systemd).appendingPathComponent(SystemdUnits.name(job)).path
        try SystemdUnits.service(job, executable: SessionOptions.executable, file: absolute)
          .write(toFile: base + ".service", atomically: true, encoding: .utf8)
        try SystemdUnits.timer(job).write(toFile: base + ".timer", atomically: true, encoding: .utf8)
      }
    } catch {
      Console.error("ashby-lua: cannot write the units into \(systemd): \(error.localizedDescription)")
      throw ExitCode(Exit.usage)
    }
    let count = schedule.jobs.count
    print("wrote \(count) timer\(count == 1 ? "" : "s") and service\(count == 1 ? "" : "s") to \(systemd)")
    for job in schedule.jobs { print("  \(SystemdUnits.name(job)).timer: \(job.cron.description) (\(job.timeZone.identifier))") }
    if !schedule.hooks.isEmpty {
      print("hooks are not exported: serve them with `ashby-lua schedule run --listen` (docs/hooks.md)")
    }
    print("install: copy them to ~/.config/systemd/user/, then `systemctl --user enable --now ashby-lua-JOB.timer`")
  }
}
