import AshbyPaths
import CLineEdit
import Foundation

/// Where REPL input comes from: libedit on a terminal, plain lines from a pipe.
protocol LineReader {
  /// The next line without its newline; nil at end of input (Ctrl-D).
  mutating func read(prompt: String) -> String?
  /// Remembers a whole entry (several lines for a multi-line input).
  mutating func remember(_ entry: String)
  func save()
}

/// Lines from a pipe or file: no prompts, no history.
struct PipeReader: LineReader, Sendable {
  mutating func read(prompt: String) -> String? { readLine(strippingNewline: true) }
  mutating func remember(_ entry: String) {}
  func save() {}
}

/// libedit's readline: line editing, persistent history, tab completion.
/// (libedit keeps its state in C globals; the REPL reads one line at a time.)
struct EditLineReader: LineReader, Sendable {
  let historyFile: URL

  /// - Parameter complete: completions for the word before the cursor, given the line up to the cursor.
  init(historyFile: URL, complete: @escaping @Sendable (_ word: String, _ line: String) -> [String]) {
    self.historyFile = historyFile
    Completion.provider = complete
    ale_set_name("ashby-lua")
    ale_set_completion(Completion.attempt)
    stifle_history(2000)
    try? FileManager.default.createDirectory(
      at: historyFile.deletingLastPathComponent(), withIntermediateDirectories: true,
      attributes: [.posixPermissions: 0o700])
    _ = read_history(historyFile.path)
  }

  mutating func read(prompt: String) -> String? {
    guard let line = readline(prompt) else { return nil }
    defer { free(line) }
    return String(cString: line)
  }

  mutating func remember(_ entry: String) {
    guard !entry.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return }
    _ = add_history(entry)
    save()
  }

  /// The file is made owner-only before a line is in it (write_history keeps
  /// an existing file's mode): a line may hold something private.
  func save() {
    guard (try? PrivateFile.prepare(historyFile.path)) != nil else { return }
    _ = write_history(historyFile.path)
  }
}

/// The C callback libedit calls on Tab, and the Swift function behind it.
enum Completion {
  nonisolated(unsafe) static var provider: (@Sendable (String, String) -> [String])?

  /// Returns a malloc'd, NULL-terminated list: the common prefix, then every match.
  static let attempt:
    @convention(c) (UnsafePointer<CChar>?, Int32, Int32) -> UnsafeMutablePointer<
      UnsafeMutablePointer<CChar>?
    >? = { text, _, _ in
      ale_completion_over()  // never fall back to file names
      guard let text, let provider = Completion.provider else { return nil }
      var line = ""
      if let buffer = ale_line_buffer() {
        let bytes = UnsafeRawBufferPointer(start: buffer, count: strlen(buffer))
        line = String(decoding: bytes.prefix(max(0, Int(ale_point()))), as: UTF8.self)
      }
      let matches = provider(String(cString: text), line)
      guard !matches.isEmpty else { return nil }
      // libedit frees the list and its strings with free(), so they come from malloc.
      let size = MemoryLayout<UnsafeMutablePointer<CChar>?>.stride * (matches.count + 2)
      guard let raw = malloc(size) else { return nil }
      let list = raw.bindMemory(to: UnsafeMutablePointer<CChar>?.self, capacity: matches.count + 2)
      list[0] = strdup(commonPrefix(matches))
      for (i, m) in matches.enumerated() { list[i + 1] = strdup(m) }
      list[matches.count + 1] = nil
      if matches.count == 1 { ale_no_append() }
      return list
    }

  static func commonPrefix(_ words: [String]) -> String {
    guard var prefix = words.first else { return "" }
    for w in words.dropFirst() {
      while !w.hasPrefix(prefix) { prefix.removeLast() }
    }
    return prefix
  }
}
