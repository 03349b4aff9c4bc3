import Foundation

/// The results as people and CI tools read them: busted's plain terminal
/// output (a mark per test, the failures, a summary), TAP for `prove`, JUnit
/// XML for CI servers.
public enum SpecReport {
  public enum Format: String, CaseIterable, Sendable {
    case terminal, tap, junit
  }

  /// busted's plainTerminal marks: + success, - failure, * error, . pending.
  public static func mark(_ status: SpecResult.Status) -> String {
    switch status {
    case .success: "+"
    case .failure: "-"
    case .error: "*"
    case .pending: "."
    }
  }

  public static func counts(_ results: [SpecResult]) -> (success: Int, failure: Int, error: Int, pending: Int) {
    (
      results.filter { $0.status == .success }.count, results.filter { $0.status == .failure }.count,
      results.filter { $0.status == .error }.count, results.filter { $0.status == .pending }.count
    )
  }

  /// The failures and errors in full, then the summary line (the marks are printed as files end).
  public static func terminal(_ results: [SpecResult], seconds: Double) -> String {
    var out = ""
    for r in results where r.status == .failure || r.status == .error {
      let label = r.status == .failure ? "Failure" : "Error"
      out += "\n\(label) → \(r.file)\(r.line > 0 ? " @ \(r.line)" : "")\n\(r.name)\n\(r.message)\n"
    }
    for r in results where r.status == .pending {
      out += "\nPending → \(r.file) @ \(r.line)\n\(r.name)\(r.message.isEmpty ? "" : "\n\(r.message)")\n"
    }
    let c = counts(results)
    func plural(_ n: Int, _ one: String, _ many: String) -> String { "\(n) \(n == 1 ? one : many)" }
    out +=
      "\n\(plural(c.success, "success", "successes")) / \(plural(c.failure, "failure", "failures")) / "
      + "\(plural(c.error, "error", "errors")) / \(c.pending) pending : \(String(format: "%.3f", seconds)) seconds\n"
    return out
  }

  /// TAP version 13 as `prove` reads it: the plan, one line per test, the reason as comments.
  public static func tap(_ results: [SpecResult]) -> String {
    var out = "1..\(results.count)\n"
    for (i, r) in results.enumerated() {
      let name = r.name.replacingOccurrences(of: "#", with: "\\#").replacingOccurrences(of: "\n", with: " ")
      switch r.status {
      case .success: out += "ok \(i + 1) - \(name)\n"
      case .pending: out += "ok \(i + 1) - \(name) # SKIP \(r.message.isEmpty ? "pending" : oneLine(r.message))\n"
      case .failure, .error:
        out += "not ok \(i + 1) - \(name)\n"
        out += "# \(r.file)\(r.line > 0 ? ":\(r.line)" : "")\n"
        for line in r.message.split(separator: "\n", omittingEmptySubsequences: false) { out += "# \(line)\n" }
      }
    }
    return out
  }

  /// JUnit XML: one testsuite per spec file, with counts and times; a failure
  /// or error element with the message; skipped for pending.
  public static func junit(_ results: [SpecResult], seconds: Double) -> String {
    var files: [String] = []
    var byFile: [String: [SpecResult]] = [:]
    for r in results {
      if byFile[r.file] == nil { files.append(r.file) }
      byFile[r.file, default: []].append(r)
    }
    let c = counts(results)
    var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    out +=
      "<testsuites name=\"ashby-lua test\" tests=\"\(results.count)\" failures=\"\(c.failure)\" errors=\"\(c.error)\" skipped=\"\(c.pending)\" time=\(time(seconds))>\n"
    for file in files {
      let rs = byFile[file] ?? []
      let fc = counts(rs)
      out +=
        "  <testsuite name=\(attribute(file)) tests=\"\(rs.count)\" failures=\"\(fc.failure)\" errors=\"\(fc.error)\" skipped=\"\(fc.pending)\" time=\(time(rs.reduce(0) { $0 + $1.seconds }))>\n"
      let classname = file.hasSuffix(".lua") ? String(file.dropLast(4)).replacingOccurrences(of: "/", with: ".") : file
      for r in rs {
        out +=
          "    <testcase classname=\(attribute(classname)) name=\(attribute(r.name)) file=\(attribute(file)) line=\"\(r.line)\" time=\(time(r.seconds))"
        switch r.status {
        case .success: out += "/>\n"
        case .pending: out += ">\n      <skipped/>\n    </testcase>\n"
        case .failure, .error:
          let tag = r.status == .failure ? "failure" : "error"
          out +=
            ">\n      <\(tag) message=\(attribute(oneLine(r.message))) type=\"\(tag)\">\(text(r.message))</\(tag)>\n    </testcase>\n"
        }
      }
      out += "  </testsuite>\n"
    }
    return out + "</testsuites>\n"
  }

  static func time(_ seconds: Double) -> String { "\"\(String(format: "%.6f", seconds))\"" }

  static func oneLine(_ text: String) -> String {
    String(text.split(separator: "\n").first ?? "")
  }

  /// Text for XML: escaped, and without the control characters XML 1.0 forbids.
  static func text(_ s: String) -> String {
    var out = ""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "\n", "\t", "\r": out.unicodeScalars.append(scalar)
      default:
        if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF { out += "?" } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out
  }

  static func attribute(_ s: String) -> String {
    "\"" + text(s).replacingOccurrences(of: "\n", with: "&#10;").replacingOccurrences(of: "\t", with: "&#9;") + "\""
  }
}
