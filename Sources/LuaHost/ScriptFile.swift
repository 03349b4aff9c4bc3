import AshbyPaths
import Foundation

/// A script or a module file, read whole. Opened without blocking and checked
/// to be a regular file first: a FIFO, a device or a folder named as a script
/// is refused at once instead of holding `run` or `check` forever.
enum ScriptFile {
  struct Refused: Error, CustomStringConvertible {
    var description: String

    init(_ refusal: BoundedFile.Refusal) {
      description =
        switch refusal {
        case .notRegular(let kind): "not a regular file (\(kind))"
        case .tooLarge(let limit): "larger than \(limit >> 20) MB"
        case .cannotOpen, .readFailed: refusal.systemReason ?? "cannot be read"
        }
    }
  }

  /// Scripts are read whole; anything larger is refused.
  static let maxScriptBytes = 256 << 20

  /// Reads the file at `path` (bytes: a name that is not UTF-8 is still a name).
  static func read(path: [CChar], limit: Int) -> Result<[UInt8], Refused> {
    BoundedFile.read(path: path, limit: limit).mapError(Refused.init)
  }

  /// Reads an open descriptor to its end, and closes it.
  static func read(_ fd: Int32, limit: Int) -> Result<[UInt8], Refused> {
    BoundedFile.read(fd: fd, limit: limit).mapError(Refused.init)
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
