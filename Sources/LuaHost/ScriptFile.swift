import Foundation

/// A script or a module file, read whole. Opened without blocking and checked
/// to be a regular file first: a FIFO, a device or a folder named as a script
/// is refused at once instead of holding `run` or `check` forever.
enum ScriptFile {
  struct Refused: Error, CustomStringConvertible {
    var description: String
  }

  /// Scripts are read whole; anything larger is refused.
  static let maxScriptBytes = 256 << 20

  /// Reads the file at `path` (bytes: a name that is not UTF-8 is still a name).
  static func read(path: [CChar], limit: Int) -> Result<[UInt8], Refused> {
    let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else { return .failure(Refused(description: String(cString: strerror(errno)))) }
    return read(fd, limit: limit)
  }

  /// Reads an open descriptor to its end, and closes it.
  static func read(_ fd: Int32, limit: Int) -> Result<[UInt8], Refused> {
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { return .failure(Refused(description: String(cString: strerror(errno)))) }
    let type = info.st_mode & S_IFMT
    guard type == S_IFREG else {
      let what =
        switch type {
        case S_IFIFO: "a FIFO"
        case S_IFDIR: "a folder"
        case S_IFCHR, S_IFBLK: "a device"
        case S_IFSOCK: "a socket"
        default: "not a file"
        }
      return .failure(Refused(description: "not a regular file (\(what))"))
    }
    guard info.st_size <= limit else { return .failure(Refused(description: "larger than \(limit >> 20) MB")) }
    var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
    var filled = 0
    while filled < bytes.count {
      let n = bytes.withUnsafeMutableBytes { buffer in
        buffer.baseAddress.map { Foundation.read(fd, $0 + filled, buffer.count - filled) } ?? 0
      }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { break }
      filled += n
    }
    return .success(Array(bytes.prefix(filled)))
  }

  /// The text as Lua's `luaL_loadfile` reads it: a first line starting with
  /// `#` (a shebang) is skipped, its newline kept so line numbers stay right
  /// (and dropped before a binary chunk).
  static func skippingShebang(_ bytes: [UInt8]) -> ArraySlice<UInt8> {
    guard bytes.first == UInt8(ascii: "#") else { return bytes[...] }
    let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
    let rest = bytes[newline...]
    return rest.dropFirst().first == 0x1B ? rest.dropFirst() : rest
  }
}
