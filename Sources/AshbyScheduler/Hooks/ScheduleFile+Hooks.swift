import AshbyCatalog
import AshbyProcess
import TOMLKit

/// The `[[hook]]` tables: a job's keys that make sense for a delivery, plus
/// `events` and where the secret comes from.
extension ScheduleReader {
  /// - Parameter jobNames: the jobs' names: jobs and hooks share the history, so a hook may not take one.
  mutating func hooks(in root: TOMLTable, defaults: ScheduledJob, jobNames: Set<String>) -> [Hook] {
    guard let list = root["hook"]?.array else {
      problem(Place(section: "", occurrence: 0, label: "hook"), nil, "must be tables: [[hook]]")
      return []
    }
    var hooks: [Hook] = []
    var seen: [String: Int] = [:]
    for (i, value) in list.enumerated() {
      let place = Place(section: "[hook]", occurrence: i, label: "hook[\(i + 1)]")
      guard let table = value.table else {
        problem(place, nil, "must be a table")
        continue
      }
      let before = problems.count
      let name = name(table, place, seen: &seen, index: i, what: "hook")
      let named = Place(section: place.section, occurrence: i, label: name.map { "hook \"\($0)\"" } ?? place.label)
      if let name, jobNames.contains(name) {
        problem(named, "name", "a job has this name; jobs and hooks share the history, so their names must differ")
      }
      var job = defaults
      job.directory = folder
      job.name = name ?? ""
      job.catchUp = .none
      if let path = script(table, named) { job.script = path }
      apply(table, to: &job, place: named, allowed: ScheduleFile.hookKeys)
      let events = self.events(table, named)
      let secret = self.secret(table, named)
      if problems.count == before, let secret {
        hooks.append(Hook(name: job.name, events: events, secret: secret, job: job))
      }
    }
    return hooks
  }

  /// `events = ["applicationSubmit", ...]`, or `["*"]` for all (empty set).
  mutating func events(_ table: TOMLTable, _ place: Place) -> Set<String> {
    guard let value = table["events"] else {
      problem(place, nil, "\"events\" is missing: the webhook types to run for, like [\"applicationSubmit\"], or [\"*\"]")
      return []
    }
    guard let list = value.array, case let names = list.compactMap(\.string), names.count == list.count, !names.isEmpty
    else {
      problem(place, "events", "must be a non-empty list of webhook types, like [\"applicationSubmit\"], or [\"*\"]")
      return []
    }
    if names.contains("*") {
      if names.count > 1 { problem(place, "events", "\"*\" means every type; list nothing else with it") }
      return []
    }
    for name in names where !Catalog.webhookTypes.contains(name) {
      let hint = Suggestion.closest(name, Catalog.webhookTypes).map { " (did you mean \"\($0)\"?)" } ?? ""
      problem(place, "events", "\"\(name)\" is not an Ashby webhook type\(hint)")
    }
    return Set(names)
  }

  /// Exactly one of `secret_env`, `secret_command`, `unsigned = true`.
  mutating func secret(_ table: TOMLTable, _ place: Place) -> Hook.Secret? {
    var found: [Hook.Secret] = []
    if let v = table["secret_env"] {
      if let name = v.string, Self.badEnvironmentName(name) == nil || name.hasPrefix("ASHBY_") {
        found.append(.environment(name))
      } else {
        problem(place, "secret_env", "must be the name of an environment variable, like \"ASHBY_WEBHOOK_SECRET\"")
      }
    }
    if let v = table["secret_command"] {
      if let command = v.string, !command.trimmingCharacters(in: .whitespaces).isEmpty {
        found.append(.command(command))
      } else {
        problem(place, "secret_command", "must be a command that prints the secret, like \"pass show ashby-hook\"")
      }
    }
    if let v = table["unsigned"] {
      if let b = v.bool {
        if b { found.append(.unsigned) }
      } else {
        problem(place, "unsigned", "must be true or false")
      }
    }
    switch found.count {
    case 1:
      return found[0]
    case 0:
      problem(
        place, nil,
        "no secret: give secret_env or secret_command (Ashby signs each delivery with it), or write unsigned = true to take deliveries anyone could forge"
      )
    default:
      problem(place, nil, "give one of secret_env, secret_command and unsigned = true")
    }
    return nil
  }

  /// `[notify.NAME]` tables: where `ashby.notify`'s targets get their URLs (url_env or url_command).
  mutating func notifyTargets(in root: TOMLTable) -> [String: NotifyTarget] {
    guard let node = root["notify"] else { return [:] }
    guard let tables = node.table else {
      problem(Place(section: "", occurrence: 0, label: "notify"), nil, "must be tables: [notify.NAME]")
      return [:]
    }
    var targets: [String: NotifyTarget] = [:]
    for name in tables.keys.sorted() {
      let place = Place(section: "[notify.\(name)]", occurrence: 0, label: "notify.\(name)")
      guard let table = tables[name]?.table else {
        problem(place, nil, "must be a table with url_env or url_command")
        continue
      }
      for key in table.keys where !NotifyTarget.keys.contains(key) {
        problem(place, key, "unknown key; known: \(NotifyTarget.keys.joined(separator: ", "))")
      }
      switch NotifyTarget.parse(name: name, urlEnv: table["url_env"]?.string, urlCommand: table["url_command"]?.string) {
      case .success(let target): targets[name] = target
      case .failure(let why): problem(place, nil, why.description)
      }
    }
    return targets
  }
}
