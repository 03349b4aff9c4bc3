import Foundation

/// The command line as bytes. `CommandLine.arguments` repairs bytes that are
/// not UTF-8 (into U+FFFD), which turns a real file name into one that does
/// not exist; a file's name is bytes, as `lua` takes it.
public enum RawArguments {
  /// Each argument that is not valid UTF-8: its repaired text → its bytes (NUL-terminated).
  private static let repaired: [String: [CChar]] = {
    var map: [String: [CChar]] = [:]
    for i in 0..<Int(CommandLine.argc) {
      guard let pointer = CommandLine.unsafeArgv[i] else { continue }
      let bytes = Array(UnsafeBufferPointer(start: pointer, count: strlen(pointer) + 1))
      if String(validatingCString: pointer) == nil {
        map[String(cString: pointer)] = bytes
      }
    }
    return map
  }()

  /// The bytes the command line gave for `argument`, when they were not UTF-8; nil otherwise.
  public static func bytes(of argument: String) -> [CChar]? { repaired[argument] }
}
