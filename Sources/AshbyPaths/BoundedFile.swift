import Foundation

/// A file read whole, up to a limit: the one reader of scripts, modules and
/// schedule files. Opened without blocking (a FIFO named as a file never holds
/// the reader), checked to be a regular file on the descriptor that is then
/// read (nothing can be swapped in between), and read to its end or refused:
/// never a file cut short without a word.
public enum BoundedFile {
  public enum Refusal: Error, Sendable, Equatable {
    /// `open` or `fstat` failed: the errno.
    case cannotOpen(Int32)
    /// A FIFO, a folder, a device, a socket, or something else that is not a file.
    case notRegular(kind: String)
    case tooLarge(limit: Int)
    /// `read` failed part way: the errno.
    case readFailed(Int32)

    /// The system's words for a failed call; the kind for anything else.
    public var systemReason: String? {
      switch self {
      case .cannotOpen(let code), .readFailed(let code): String(cString: strerror(code))
      case .notRegular, .tooLarge: nil
      }
    }
  }

  /// Reads the file at `path` (bytes: a name that is not UTF-8 is still a name).
  public static func read(path: [CChar], limit: Int) -> Result<[UInt8], Refusal> {
    let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else { return .failure(.cannotOpen(errno)) }
    return read(fd: fd, limit: limit)
  }

  public static func read(path: String, limit: Int) -> Result<[UInt8], Refusal> {
    read(path: Array(path.utf8CString), limit: limit)
  }

  /// Reads an open descriptor to its end, and closes it.
  public static func read(fd: Int32, limit: Int) -> Result<[UInt8], Refusal> {
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { return .failure(.cannotOpen(errno)) }
    let type = info.st_mode & S_IFMT
    guard type == S_IFREG else {
      let kind =
        switch type {
        case S_IFIFO: "a FIFO"
        case S_IFDIR: "a folder"
        case S_IFCHR, S_IFBLK: "a device"
        case S_IFSOCK: "a socket"
        default: "not a file"
        }
      return .failure(.notRegular(kind: kind))
    }
    guard info.st_size <= limit else { return .failure(.tooLarge(limit: limit)) }
    var bytes = [UInt8](repeating: 0, count: Int(info.st_size))  // at most `limit`, checked above
    var filled = 0
    while filled < bytes.count {
      let n = bytes.withUnsafeMutableBytes { buffer in
        buffer.baseAddress.map { Foundation.read(fd, $0 + filled, buffer.count - filled) } ?? 0
      }
      if n < 0 {
        if errno == EINTR { continue }
        return .failure(.readFailed(errno))
      }
      if n == 0 { break }  // the file shrank since fstat: what it holds now
      filled += n
    }
    return .success(Array(bytes.prefix(filled)))
  }
}
