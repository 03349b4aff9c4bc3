import AshbyJSON
import AshbyScheduler
import Foundation
import Yams

extension SystemdUnits {
  /// Writes a `.service` and a `.timer` per job into `folder` (made if need be).
  public static func write(
    _ schedule: Schedule, executable: String, file: String, state: String?, into folder: String
  ) throws {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    for job in schedule.jobs {
      let base = URL(fileURLWithPath: folder).appendingPathComponent(name(job)).path
      try service(job, executable: executable, file: file, state: state)
        .write(toFile: base + ".service", atomically: true, encoding: .utf8)
      try timer(job).write(toFile: base + ".timer", atomically: true, encoding: .utf8)
    }
  }
}

extension KubernetesManifests {
  /// The objects as the YAML `kubectl apply -f` takes, `---` between them.
  /// - Parameter file: the schedule's absolute path; it and its scripts go into the ConfigMap.
  public static func yaml(_ schedule: Schedule, file: String, options: Options) throws -> String {
    let text = try String(contentsOfFile: file, encoding: .utf8)
    let documents = try documents(schedule, file: file, text: text, options: options) {
      try String(contentsOfFile: $0, encoding: .utf8)
    }
    return try documents.map {
      try Yams.dump(object: $0.yamlObject, width: -1, allowUnicode: true, sortKeys: true, newLineScalarStyle: .literal)
    }
    .joined(separator: "---\n")
  }
}

extension JSONValue {
  /// The value as the plain Swift values Yams writes.
  var yamlObject: Any {
    switch self {
    case .null: return NSNull()
    case .bool(let b): return b
    case .int(let i): return Int(i)
    case .double(let d): return d
    case .string(let s): return s
    case .array(let a): return a.map(\.yamlObject)
    case .object(let o): return o.mapValues(\.yamlObject)
    }
  }
}
