import AshbyJSON
import AshbyScheduler
import Foundation

/// A schedule as Kubernetes objects (`schedule export --kubernetes`): one
/// `batch/v1` CronJob per job, a Deployment and a Service for the hooks, the
/// scripts in a ConfigMap and the state in PostgreSQL (or, without one, on a
/// volume that only one node can mount). Each pod runs
/// `ashby-lua schedule trigger JOB` (or `schedule run --hooks-only`), so the
/// history stays the one record. The CLI writes the documents as YAML.
public enum KubernetesManifests {
  public struct Options: Sendable {
    public var namespace = "default"
    public var image = "ashby-lua:latest"
    /// The Secret with `api-key`, the hooks' secrets and (with `state`) `pg-password`.
    public var secretName = "ashby-lua"
    /// A PostgreSQL URL without its password: the pods share that state
    /// (the password from the Secret's `pg-password`). Nil: a volume.
    public var state: String?
    public init() {}
  }

  public struct Problem: Error, CustomStringConvertible {
    public var description: String
  }

  /// Where the pods find things.
  static let configFolder = "/etc/ashby-lua"
  static let stateFolder = "/var/lib/ashby-lua"
  static let hookPort: Int64 = 8787

  /// The documents, in the order to apply them.
  /// - Parameters:
  ///   - file: the schedule file (absolute); its folder holds the scripts.
  ///   - text: the schedule file's text, and `read` reads a script (for the ConfigMap).
  public static func documents(
    _ schedule: Schedule, file: String, text: String, options: Options, read: (String) throws -> String
  ) throws(Problem) -> [JSONValue] {
    let folder = URL(fileURLWithPath: file).deletingLastPathComponent().standardizedFileURL.path
    var files: [(key: String, path: String, text: String)] = [("schedules.toml", "schedules.toml", text)]
    let scripts = Set(schedule.jobs.map(\.script) + schedule.hooks.map(\.job.script)).sorted()
    for script in scripts {
      guard script.hasPrefix(folder + "/") else {
        throw Problem(description: "\(script) is outside \(folder): a ConfigMap holds the schedule's folder only")
      }
      let relative = String(script.dropFirst(folder.count + 1))
      var key = relative.map { $0.isLetter || $0.isNumber || "-._".contains($0) ? $0 : "_" }.map(String.init).joined()
      while files.contains(where: { $0.key == key }) { key = "_" + key }
      do {
        files.append((key, relative, try read(script)))
      } catch {
        throw Problem(description: "cannot read \(script): \(error.localizedDescription)")
      }
    }
    // A job's script path as the pod sees it: the file's folder becomes configFolder.
    var names: [String: String] = [:]
    for job in schedule.jobs {
      let name = try resourceName(job.name)
      if let other = names[name] {
        throw Problem(description: "jobs \"\(other)\" and \"\(job.name)\" would both be the CronJob \(name)")
      }
      names[name] = job.name
    }
    var docs: [JSONValue] = [configMap(files, options)]
    if options.state == nil { docs.append(stateClaim(options)) }
    let items = JSONValue.array(files.map { .object(["key": .string($0.key), "path": .string($0.path)]) })
    for job in schedule.jobs { docs.append(try cronJob(job, items: items, options: options)) }
    if !schedule.hooks.isEmpty {
      var secrets: [JSONValue] = []
      for hook in schedule.hooks {
        switch hook.secret {
        case .environment(let name): secrets.append(secretVariable(name, key: secretKey(name), options))
        case .unsigned: break
        case .command:
          throw Problem(
            description:
              "hook \"\(hook.name)\" reads its secret with secret_command, which a pod cannot run: use secret_env (from the \(options.secretName) Secret)"
          )
        }
      }
      docs.append(hooksDeployment(items: items, secrets: secrets, options: options))
      docs.append(hooksService(options))
    }
    return docs
  }

  /// A job's CronJob name: `ashby-lua-` and the job's name in lowercase with
  /// `-` for `_`, as Kubernetes names must be (at most 52 characters, so the
  /// Jobs it makes have room for their suffix).
  static func resourceName(_ job: String) throws(Problem) -> String {
    let name = "ashby-lua-" + job.lowercased().replacingOccurrences(of: "_", with: "-")
    let ok = name.count <= 52 && name.last.map { $0.isLetter || $0.isNumber } == true
      && name.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" || $0 == "." }
    guard ok else {
      throw Problem(description: "job \"\(job)\" cannot be a Kubernetes name (\(name)): at most 42 characters, ending in a letter or digit")
    }
    return name
  }

  /// The Secret key a `secret_env` variable is read from: `ASHBY_WEBHOOK_SECRET` → `ashby-webhook-secret`.
  public static func secretKey(_ variable: String) -> String {
    variable.lowercased().replacingOccurrences(of: "_", with: "-")
  }

  static func metadata(_ name: String, _ component: String, _ options: Options) -> JSONValue {
    .object([
      "name": .string(name), "namespace": .string(options.namespace),
      "labels": .object([
        "app.kubernetes.io/name": "ashby-lua", "app.kubernetes.io/component": .string(component),
      ]),
    ])
  }

  static func configMap(_ files: [(key: String, path: String, text: String)], _ options: Options) -> JSONValue {
    .object([
      "apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata("ashby-lua-scripts", "scripts", options),
      "data": .object(Dictionary(files.map { ($0.key, JSONValue.string($0.text)) }, uniquingKeysWith: { a, _ in a })),
    ])
  }

  /// The history, leases and deliveries (SQLite) when there is no PostgreSQL state: one node mounts it at a time.
  static func stateClaim(_ options: Options) -> JSONValue {
    .object([
      "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": metadata("ashby-lua-state", "state", options),
      "spec": .object([
        "accessModes": ["ReadWriteOnce"], "resources": .object(["requests": .object(["storage": "1Gi"])]),
      ]),
    ])
  }

  static func secretVariable(_ name: String, key: String, _ options: Options) -> JSONValue {
    .object([
      "name": .string(name),
      "valueFrom": .object(["secretKeyRef": .object(["name": .string(options.secretName), "key": .string(key)])]),
    ])
  }

  /// Where a pod's state is: PostgreSQL (`ASHBY_LUA_STATE`, the password as
  /// PGPASSWORD from the Secret), or the volume as XDG_STATE_HOME.
  static func stateEnvironment(_ options: Options) -> [JSONValue] {
    guard let state = options.state else {
      return [.object(["name": "XDG_STATE_HOME", "value": .string(stateFolder)])]
    }
    return [.object(["name": "ASHBY_LUA_STATE", "value": .string(state)]), secretVariable("PGPASSWORD", key: "pg-password", options)]
  }

  /// The pod both kinds share: the image, the key, the scripts, the state, a writable /tmp.
  static func pod(args: [String], items: JSONValue, extraEnv: [JSONValue], ports: [JSONValue] = [], probe: JSONValue? = nil,
    liveness: JSONValue? = nil, restart: String, options: Options, terminationGrace: Int64) -> JSONValue
  {
    var mounts: [JSONValue] = [
      .object(["name": "scripts", "mountPath": .string(configFolder), "readOnly": true]),
      .object(["name": "tmp", "mountPath": "/tmp"]),
    ]
    var volumes: [JSONValue] = [
      .object(["name": "scripts", "configMap": .object(["name": "ashby-lua-scripts", "items": items])]),
      .object(["name": "tmp", "emptyDir": .object([:])]),
    ]
    if options.state == nil {
      mounts.append(.object(["name": "state", "mountPath": .string(stateFolder)]))
      volumes.append(.object(["name": "state", "persistentVolumeClaim": .object(["claimName": "ashby-lua-state"])]))
    }
    var container: [String: JSONValue] = [
      "name": "ashby-lua", "image": .string(options.image), "args": .array(args.map(JSONValue.string)),
      "env": .array([secretVariable("ASHBY_API_KEY", key: "api-key", options)] + stateEnvironment(options) + extraEnv),
      "volumeMounts": .array(mounts),
      "securityContext": .object([
        "runAsNonRoot": true, "readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false,
        "capabilities": .object(["drop": ["ALL"]]),
      ]),
    ]
    if !ports.isEmpty { container["ports"] = .array(ports) }
    if let probe { container["readinessProbe"] = probe }
    if let liveness { container["livenessProbe"] = liveness }
    return .object([
      "terminationGracePeriodSeconds": .int(terminationGrace),
      "restartPolicy": .string(restart),
      "securityContext": .object(["runAsUser": 10001, "runAsGroup": 10001, "fsGroup": 10001]),
      "containers": .array([.object(container)]),
      "volumes": .array(volumes),
    ])
  }

  static func cronJob(_ job: ScheduledJob, items: JSONValue, options: Options) throws(Problem) -> JSONValue {
    guard let schedule = standardCron(job.cron) else {
      throw Problem(
        description:
          "job \"\(job.name)\": \(job.cron) restricts both day fields with a `*` step, which Kubernetes reads differently from cron; write the days out"
      )
    }
    // Kubernetes has no queue: Forbid skips a fire while the last run goes on, as `skip` does.
    let policy = job.overlap == .replace ? "Replace" : "Forbid"
    // A missed fire still starts within its grace; with catch_up, within a day (Kubernetes runs the newest one).
    let deadline = max(10, Int64(job.catchUp == .none ? job.grace : max(job.grace, 86400)))  // ≤ a year (grace)
    let keep = Int64(min(job.keepRuns ?? 3, 20))
    // A pod stopped (a node drained) lets its run finish: the trigger's grace is the
    // run's time limit, and Kubernetes waits past it before its SIGKILL.
    let grace = Int64(min(86400, job.timeout.rounded(.up)))  // timeout: finite, above 0 (ScheduleFile); capped at a day
    let args = [
      "schedule", "trigger", job.name, "--file", "\(configFolder)/schedules.toml", "--no-retry", "--stop-grace", "\(grace)",
    ]
    return .object([
      "apiVersion": "batch/v1", "kind": "CronJob", "metadata": metadata(try resourceName(job.name), "job", options),
      "spec": .object([
        "schedule": .string(schedule), "timeZone": .string(job.zoneName),
        "concurrencyPolicy": .string(policy), "startingDeadlineSeconds": .int(deadline),
        "successfulJobsHistoryLimit": .int(keep), "failedJobsHistoryLimit": .int(keep),
        "jobTemplate": .object([
          "spec": .object([
            "backoffLimit": .int(Int64(job.retries)), "activeDeadlineSeconds": .int(job.runBudget),
            "template": .object([
              "metadata": .object(["labels": .object(["app.kubernetes.io/name": "ashby-lua", "ashby-lua/job": .string(job.name)])]),
              "spec": pod(
                args: args, items: items, extraEnv: [], restart: "Never", options: options,
                terminationGrace: max(grace, job.runBudget) + Self.stopMargin),
            ]),
          ])
        ]),
      ]),
    ])
  }

  static func hooksDeployment(items: JSONValue, secrets: [JSONValue], options: Options) -> JSONValue {
    let labels = JSONValue.object(["app.kubernetes.io/name": "ashby-lua", "app.kubernetes.io/component": "hooks"])
    let args = [
      "schedule", "run", "--file", "\(configFolder)/schedules.toml", "--hooks-only", "--listen", "0.0.0.0:\(hookPort)",
      "--stop-grace", "\(Self.hooksStopGrace)",
    ]
    // Readiness: the state answers and the workers run (a pod whose database is gone gets no traffic);
    // liveness: the process answers (a database outage must not restart every pod).
    let probe = JSONValue.object([
      "httpGet": .object(["path": "/readyz", "port": .int(hookPort)]), "periodSeconds": 10,
    ])
    let liveness = JSONValue.object([
      "httpGet": .object(["path": "/healthz", "port": .int(hookPort)]), "periodSeconds": 10, "failureThreshold": 6,
    ])
    return .object([
      "apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata("ashby-lua-hooks", "hooks", options),
      "spec": .object([
        // On PostgreSQL, two replicas share the deliveries (each taken once, under a lease);
        // on the volume (ReadWriteOnce), one, replaced rather than rolled.
        "replicas": options.state == nil ? 1 : 2,
        "strategy": .object(["type": options.state == nil ? "Recreate" : "RollingUpdate"]),
        "selector": .object(["matchLabels": labels]),
        "template": .object([
          "metadata": .object(["labels": labels]),
          "spec": pod(
            args: args, items: items, extraEnv: secrets,
            ports: [.object(["name": "hooks", "containerPort": .int(hookPort)])], probe: probe, liveness: liveness,
            restart: "Always",
            options: options, terminationGrace: Self.hooksStopGrace + Self.stopMargin),
        ]),
      ]),
    ])
  }

  /// How long the hooks' daemon lets deliveries under way run when its pod is stopped.
  static let hooksStopGrace: Int64 = 30
  /// Kubernetes' SIGKILL comes this long after the grace: time to stop what
  /// is left (SIGINT, SIGKILL 5 s on) and record it, never cut by the kill.
  static let stopMargin: Int64 = 30

  static func hooksService(_ options: Options) -> JSONValue {
    .object([
      "apiVersion": "v1", "kind": "Service", "metadata": metadata("ashby-lua-hooks", "hooks", options),
      "spec": .object([
        "selector": .object(["app.kubernetes.io/name": "ashby-lua", "app.kubernetes.io/component": "hooks"]),
        "ports": [.object(["name": "hooks", "port": 80, "targetPort": "hooks"])],
      ]),
    ])
  }

  /// The cron in the five numeric fields Kubernetes reads (no names, no 7 for
  /// Sunday, no macros it may not know), or nil when its day rule would differ:
  /// Kubernetes treats a day field as "any day" only when it is exactly `*`.
  static func standardCron(_ cron: CronExpression) -> String? {
    func field(_ values: Set<Int>, _ range: ClosedRange<Int>) -> String {
      values == Set(range) ? "*" : SystemdUnits.runs(values.sorted()).map { run in
        run.count == 1 ? "\(run.lowerBound)" : run.count == 2 ? "\(run.lowerBound),\(run.upperBound)" : "\(run.lowerBound)-\(run.upperBound)"
      }.joined(separator: ",")
    }
    let days = field(cron.daysOfMonth, 1...31)
    let weekdays = field(cron.weekdays, 0...6)
    // cron's rule: both restricted → either; one starting with * → both. Kubernetes: either unless one is `*`.
    if !(cron.dayOfMonthRestricted && cron.weekdayRestricted) && days != "*" && weekdays != "*" { return nil }
    if cron.dayOfMonthRestricted && cron.weekdayRestricted && (days == "*" || weekdays == "*") { return nil }
    return [field(cron.minutes, 0...59), field(cron.hours, 0...23), days, field(cron.months, 1...12), weekdays]
      .joined(separator: " ")
  }
}
