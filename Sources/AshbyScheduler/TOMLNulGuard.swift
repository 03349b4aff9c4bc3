/// Finds the NUL characters a schedule file's strings hold (`"a\u0000b"`).
///
/// toml++ accepts the escape, and TOMLKit hands Swift the text cut at it: a
/// time zone, a job name or an `env` value would be silently shortened, and
/// two names that differ after the NUL would clash. So the raw text is read
/// first, and any string with one is refused with its line. Only basic strings
/// (`"…"`, `"""…"""`) have escapes; literal strings and comments are skipped.
enum TOMLNulGuard {
  /// The 1-based lines where a string holds an escaped NUL.
  static func lines(in text: String) -> [Int] {
    let chars = Array(text.unicodeScalars)
    var found: [Int] = []
    var line = 1
    var i = 0
    func at(_ k: Int) -> Unicode.Scalar? { k < chars.count ? chars[k] : nil }
    func starts(_ s: String, _ k: Int) -> Bool {
      for (n, c) in s.unicodeScalars.enumerated() where at(k + n) != c { return false }
      return true
    }
    while i < chars.count {
      let c = chars[i]
      if c == "\n" {
        line += 1
        i += 1
      } else if c == "#" {
        while i < chars.count && chars[i] != "\n" { i += 1 }
      } else if c == "'" {
        let close = starts("'''", i) ? "'''" : "'"
        i += close.unicodeScalars.count
        while i < chars.count && !starts(close, i) {
          if chars[i] == "\n" { line += 1 }
          i += 1
        }
        i += close.unicodeScalars.count
      } else if c == "\"" {
        let close = starts("\"\"\"", i) ? "\"\"\"" : "\""
        i += close.unicodeScalars.count
        while i < chars.count && !starts(close, i) {
          if chars[i] == "\n" { line += 1 }
          if chars[i] == "\\" {
            if starts("\\u0000", i) || starts("\\U00000000", i) {
              if found.last != line { found.append(line) }
            }
            i += 2
            continue
          }
          i += 1
        }
        i += close.unicodeScalars.count
      } else {
        i += 1
      }
    }
    return found
  }

  /// A problem for each line with a NUL, naming the key it sets.
  static func problems(in text: String, file: String) -> [ScheduleFile.Problem] {
    lines(in: text).map { line in
      ScheduleFile.Problem(
        file: file, line: line, key: key(onLine: line, of: text),
        message:
          "a string here holds a NUL character (\\u0000): a name, a path, a zone or a value for the OS would be cut at it, so it is refused"
      )
    }
  }

  /// The key a line sets (`name = …`), for the report.
  static func key(onLine line: Int, of text: String) -> String? {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    guard line >= 1 && line <= lines.count, let equals = lines[line - 1].firstIndex(of: "=") else { return nil }
    let key = lines[line - 1][..<equals].trimmingCharacters(in: .whitespaces)
    return key.isEmpty ? nil : key
  }
}
