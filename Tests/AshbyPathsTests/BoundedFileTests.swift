import AshbyPaths
import Foundation
import Testing

/// The one reader of scripts, modules and schedule files: whole, refused with a reason, never blocked.
@Suite struct BoundedFileTests {
  static func folder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("bounded-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  @Test func readsARegularFileWhole() throws {
    let dir = try Self.folder()
    let file = dir.appendingPathComponent("a.lua")
    let bytes = [UInt8]((0..<200_000).map { UInt8($0 % 251) })
    try Data(bytes).write(to: file)
    #expect(try BoundedFile.read(path: file.path, limit: 1 << 20).get() == bytes)
    // Exactly at the limit is read; one byte past it is refused.
    #expect(try BoundedFile.read(path: file.path, limit: bytes.count).get().count == bytes.count)
    #expect(BoundedFile.read(path: file.path, limit: bytes.count - 1) == .failure(.tooLarge(limit: bytes.count - 1)))
  }

  @Test func refusesWhatIsNotAFileAtOnce() throws {
    let dir = try Self.folder()
    let fifo = dir.appendingPathComponent("fifo")
    #expect(mkfifo(fifo.path, 0o600) == 0)
    // A FIFO with no writer: opened without blocking, refused without reading.
    let started = ContinuousClock.now
    #expect(BoundedFile.read(path: fifo.path, limit: 100) == .failure(.notRegular(kind: "a FIFO")))
    #expect(ContinuousClock.now - started < .seconds(10))
    #expect(BoundedFile.read(path: dir.path, limit: 100) == .failure(.notRegular(kind: "a folder")))
    #expect(BoundedFile.read(path: "/dev/null", limit: 100) == .failure(.notRegular(kind: "a device")))
    let missing = BoundedFile.read(path: dir.appendingPathComponent("none").path, limit: 100)
    #expect(missing == .failure(.cannotOpen(ENOENT)))
    if case .failure(let refusal) = missing { #expect(refusal.systemReason == "No such file or directory") }
  }

  /// A descriptor handed in (the sandbox's `require` opens beneath the script's folder) is read.
  @Test func readsAnOpenDescriptor() throws {
    let dir = try Self.folder()
    let file = dir.appendingPathComponent("m.lua")
    try Data("return 1\n".utf8).write(to: file)
    let fd = open(file.path, O_RDONLY)
    #expect(try BoundedFile.read(fd: fd, limit: 100).get() == Array("return 1\n".utf8))
  }
}
