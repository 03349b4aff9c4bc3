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
    let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else { return .problem("cannot be read (\(String(cString: strerror(errno))))") }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return .problem("is not a regular file") }
    guard info.st_size <= maxBytes else { return .problem("is larger than \(maxBytes >> 10) KB: not a schedule file") }
    var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
    var filled = 0
    while filled < bytes.count {
      let n = bytes.withUnsafeMutableBytes { buffer in
        buffer.baseAddress.map { read(fd, $0 + filled, buffer.count - filled) } ?? 0
      }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { break }
      filled += n
    }
    guard let text = String(validating: bytes.prefix(filled), as: UTF8.self) else {
      return .problem("is not UTF-8 text")
    }
    return .text(text)
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
