import AshbyPaths
import Crypto
import Foundation

/// The key that names people in cassettes across recording sessions
/// (`--record-missing` giving a person met again the stand-in they have). It
/// lives in this user's state folder, never in a cassette: a committed
/// cassette then holds no digest of a person that anyone could test a guessed
/// name, email or phone number against.
public enum PeopleKey {
  static var path: String { UserFolders.state() + "/cassette.key" }

  /// The key, made on first use; nil when it can be neither read nor made (then a
  /// session numbers the people it meets anew, as on another machine).
  public static func load() -> SymmetricKey? {
    if case .success(let bytes) = BoundedFile.read(path: path, limit: 64), bytes.count == 32 {
      return SymmetricKey(data: bytes)
    }
    let key = SymmetricKey(size: .bits256)
    do {
      try PrivateFile.folder(UserFolders.state())
      try PrivateFile.write(key.withUnsafeBytes { Data($0) }, to: path)
    } catch {
      return nil
    }
    return key
  }

  /// HMAC-SHA256 of a value under the key, in hex.
  static func token(_ value: String, key: SymmetricKey) -> String {
    HMAC<SHA256>.authenticationCode(for: Data(value.utf8), using: key).map { String(format: "%02x", $0) }.joined()
  }
}
