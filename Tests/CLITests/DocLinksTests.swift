import AshbyTestSupport
import Foundation
import Testing

/// Every doc the README, the docs, the sources and the stdlib point to exists: a comment that says
/// "see docs/x.md" is a promise.
@Suite struct DocLinksTests {
  @Test func everyDocReferencedExists() throws {
    let pattern = try NSRegularExpression(pattern: #"docs/[A-Za-z0-9_.-]+\.(md|png)"#)
    var files = ["README.md"]
    for folder in ["docs", "Sources", "stdlib", "scripts", "Tests"] {
      let root = packageRoot.appendingPathComponent(folder)
      guard let walker = FileManager.default.enumerator(atPath: root.path) else { continue }
      for case let path as String in walker
      where [".md", ".swift", ".lua", ".c", ".h"].contains(where: path.hasSuffix) && !path.contains("Golden") {
        files.append("\(folder)/\(path)")
      }
    }
    var missing: [String] = []
    var seen = 0
    for file in files {
      guard let text = try? String(contentsOf: packageRoot.appendingPathComponent(file), encoding: .utf8) else { continue }
      for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
        guard let range = Range(match.range, in: text) else { continue }
        let doc = String(text[range])
        seen += 1
        if doc == "docs/x.md" { continue }  // this file's own example
        if !FileManager.default.fileExists(atPath: packageRoot.appendingPathComponent(doc).path) {
          missing.append("\(file): \(doc)")
        }
      }
    }
    #expect(seen > 20, "too few references found: the scan is broken")
    #expect(missing.isEmpty, "\(missing)")
  }
}
