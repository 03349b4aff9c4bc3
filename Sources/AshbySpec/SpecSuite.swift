import Foundation

/// `ashby-lua test`: the spec files the paths name, run `jobs` at a time,
/// their results in the order the files were found.
public struct SpecSuite: Sendable {
  public var paths: [String]
  public var filter: String?
  public var jobs: Int
  /// The program `ashby.test.run` starts (`ashby-lua`).
  public var program: String
  /// Seconds a spec file may run, and a script it runs.
  public var timeout: Double

  public init(paths: [String], filter: String? = nil, jobs: Int = 1, program: String, timeout: Double = 600) {
    self.paths = paths
    self.filter = filter
    self.jobs = jobs
    self.program = program
    self.timeout = timeout
  }

  /// A path that is not there, or no spec file at all: a usage error.
  public struct UsageError: Error, CustomStringConvertible {
    public let description: String
  }

  /// `*_spec.lua` files: those named, and those under the folders named (sorted, hidden folders skipped).
  public func files() throws(UsageError) -> [String] {
    var found: [String] = []
    let manager = FileManager.default
    for path in paths.isEmpty ? ["spec"] : paths {
      var isFolder: ObjCBool = false
      guard manager.fileExists(atPath: path, isDirectory: &isFolder) else {
        throw UsageError(description: paths.isEmpty ? "no spec/ folder here; name spec files or folders" : "\(path): no such file or folder")
      }
      guard isFolder.boolValue else {
        found.append(path)
        continue
      }
      let base = path.hasSuffix("/") ? String(path.dropLast()) : path
      // A symbolic link to a folder is searched like the folder.
      let walker = manager.enumerator(atPath: URL(fileURLWithPath: base).resolvingSymlinksInPath().path)
      var inFolder: [String] = []
      while let relative = walker?.nextObject() as? String {
        if relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
        var isDirectory: ObjCBool = false
        guard relative.hasSuffix("_spec.lua"), manager.fileExists(atPath: base + "/" + relative, isDirectory: &isDirectory),
          !isDirectory.boolValue
        else { continue }
        inFolder.append(base + "/" + relative)
      }
      found += inFolder.sorted()
    }
    guard !found.isEmpty else { throw UsageError(description: "no *_spec.lua files in \(paths.joined(separator: ", "))") }
    var seen = Set<String>()  // `a_spec.lua` and `./a_spec.lua` are one file
    return found.filter { seen.insert(URL(fileURLWithPath: $0).standardizedFileURL.path).inserted }
  }

  /// Runs the files; `progress` hears each file's results as it ends.
  public func run(_ files: [String], progress: @escaping @Sendable ([SpecResult]) -> Void = { _ in }) async throws
    -> [SpecResult]
  {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ashby-lua-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let scripts = ScriptUnderTest(program: program, folder: folder, timeout: timeout)
    let filter = self.filter, timeout = self.timeout
    var byFile = [[SpecResult]](repeating: [], count: files.count)
    await withTaskGroup(of: (Int, [SpecResult]).self) { group in
      var next = 0
      func start() {
        guard next < files.count else { return }
        let index = next, file = files[index]
        next += 1
        group.addTask { (index, await SpecFileRun(path: file, filter: filter, timeout: timeout, scripts: scripts).run()) }
      }
      for _ in 0..<max(1, jobs) { start() }
      while let (index, results) = await group.next() {
        byFile[index] = results
        progress(results)
        start()
      }
    }
    try? FileManager.default.removeItem(at: folder)
    return byFile.flatMap { $0 }
  }
}
