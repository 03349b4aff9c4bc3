import AshbyPaths
import Foundation
import Testing

/// Owner-only files: 0600 from the first byte, never through a link.
@Suite struct PrivateFileTests {
  func mode(_ path: String) throws -> Int {
    (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
  }

  @Test func aFileIsOwnerOnlyAndReplacedWhole() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pf-\(UUID().uuidString)/a/b").path
    try PrivateFile.folder(folder)
    #expect(try mode(folder) == 0o700)
    let path = folder + "/secret"
    try PrivateFile.write(Data("a longer first text".utf8), to: path)
    try PrivateFile.write(Data("short".utf8), to: path)
    #expect(try mode(path) == 0o600)
    #expect(FileManager.default.contents(atPath: path) == Data("short".utf8))
    // One that was there with a wider mode is narrowed.
    let open = folder + "/open"
    #expect(FileManager.default.createFile(atPath: open, contents: Data("x".utf8), attributes: [.posixPermissions: 0o644]))
    try PrivateFile.prepare(open)
    #expect(try mode(open) == 0o600)
    #expect(FileManager.default.contents(atPath: open) == Data("x".utf8))  // prepare keeps what is in it
  }

  @Test func aSymbolicLinkInItsPlaceIsRefused() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pf-\(UUID().uuidString)").path
    try PrivateFile.folder(folder)
    let target = folder + "/elsewhere"
    #expect(FileManager.default.createFile(atPath: target, contents: Data("keep".utf8)))
    try FileManager.default.createSymbolicLink(atPath: folder + "/link", withDestinationPath: target)
    #expect(throws: PrivateFile.Failure.self) { try PrivateFile.write(Data("secret".utf8), to: folder + "/link") }
    #expect(FileManager.default.contents(atPath: target) == Data("keep".utf8))
  }
}
