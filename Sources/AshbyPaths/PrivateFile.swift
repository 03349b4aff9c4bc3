import Foundation

/// Files only their owner may read (the config with the key, a hook's secret,
/// the REPL's history), written one way: made 0600 before a byte is in them,
/// never through a symbolic link someone put in their place.
public enum PrivateFile {
  public struct Failure: Error, CustomStringConvertible {
    public let description: String
  }

  /// Writes `data` to `path`, replacing what was there.
  public static func write(_ data: Data, to path: String) throws(Failure) {
    let fd = try open(path, truncate: true)
    defer { close(fd) }
    var sent = 0
    while sent < data.count {
      let n = data.withUnsafeBytes { Foundation.write(fd, $0.baseAddress.map { $0 + sent }, data.count - sent) }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))") }
      sent += n
    }
  }

  /// Makes `path` exist, owner-only, for a library that writes the file itself (libedit's history).
  public static func prepare(_ path: String) throws(Failure) {
    close(try open(path, truncate: false))
  }

  /// Makes `folder` and its parents, owner-only where it makes them.
  public static func folder(_ folder: String) throws(Failure) {
    do {
      try FileManager.default.createDirectory(
        atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    } catch {
      throw Failure(description: "cannot make \(folder): \(error.localizedDescription)")
    }
  }

  private static func open(_ path: String, truncate: Bool) throws(Failure) -> Int32 {
    let fd = Foundation.open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (truncate ? O_TRUNC : 0), 0o600)
    guard fd >= 0 else { throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))") }
    // A file that was there keeps its mode otherwise; one that cannot be made owner-only is not written.
    guard fchmod(fd, 0o600) == 0 else {
      let why = String(cString: strerror(errno))
      close(fd)
      throw Failure(description: "cannot make \(path) owner-only: \(why)")
    }
    return fd
  }
}
