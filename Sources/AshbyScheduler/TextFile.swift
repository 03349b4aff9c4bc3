import AshbyPaths
import Foundation

/// Reading the files a schedule names, with a one-line reason for each way
/// it can go wrong: never Foundation's raw error text, and never a block on a
/// FIFO (opened without waiting, and only when it is a regular file).
enum TextFile {
  enum Read {
    case text(String)
    case problem(String)
  }

  static func load(_ path: String, maxBytes: Int) -> Read {
    if let why = notARegularFile(path) { return .problem(why) }
    switch BoundedFile.read(path: path, limit: maxBytes) {
    case .failure(.notRegular): return .problem("is not a regular file")
    case .failure(.tooLarge): return .problem("is larger than \(maxBytes >> 10) KB: not a schedule file")
    case .failure(let refusal): return .problem("cannot be read (\(refusal.systemReason ?? "unknown"))")
    case .success(let bytes):
      guard let text = String(validating: bytes, as: UTF8.self) else { return .problem("is not UTF-8 text") }
      return .text(text)
    }
  }

  /// Why `path` cannot be a job's script, or nil when it can.
  static func notAScript(_ path: String) -> String? {
    if let why = notARegularFile(path) { return why }
    return access(path, R_OK) == 0 ? nil : "cannot be read (\(String(cString: strerror(errno))))"
  }

  /// Why `path` is not a regular file (following symlinks), or nil when it is one.
  static func notARegularFile(_ path: String) -> String? {
    var info = stat()
    guard stat(path, &info) == 0 else {
      return errno == ENOENT ? "no such file" : "cannot be read (\(String(cString: strerror(errno))))"
    }
    switch info.st_mode & S_IFMT {
    case S_IFREG: return nil
    case S_IFDIR: return "is a folder, not a file"
    case S_IFIFO: return "is a FIFO, not a file"
    default: return "is not a regular file"
    }
  }
}
