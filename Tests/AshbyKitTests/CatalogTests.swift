import AshbyCatalog
import AshbyFake
import AshbyJSON
import AshbyPaths
import Foundation
import Synchronization
import Testing

@testable import AshbyKit
import AshbyTestSupport

/// The committed endpoint catalog against Ashby's OpenAPI description, as
/// `scripts/endpoint-catalog` obtains it (downloaded once, then from its cache).
@Suite(.serialized, .teardown) struct CatalogTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  static var cache: URL { URL(fileURLWithPath: UserFolders.cache() + "/openapi/openapi.json") }

  /// Runs the generator. Its output is read on a thread of its own and its end
  /// is polled, so no thread of the cooperative pool (two on a two-core machine,
  /// shared by every suite running beside this one) waits on python.
  static func generator(_ arguments: [String], script: URL? = nil, env: [String: String] = [:]) async throws -> (
    Int32, String
  ) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", (script ?? root.appendingPathComponent("scripts/endpoint-catalog")).path]
      + arguments
    process.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = Mutex<Data>(Data())
    let reader = Thread { [pipe] in
      let data = pipe.fileHandleForReading.readDataToEndOfFile()
      output.withLock { $0 = data }
    }
    reader.start()
    while process.isRunning || !reader.isFinished { try await Task.sleep(for: .milliseconds(20)) }
    return (process.terminationStatus, String(decoding: output.withLock { $0 }, as: UTF8.self))
  }

  @Test func theCommittedCatalogIsUpToDateAndTheGeneratorRunsOfflineFromItsCache() async throws {
    let (status, output) = try await Self.generator(["--check"])
    #expect(status == 0, "\(output)")
    #expect(FileManager.default.fileExists(atPath: Self.cache.path))
    // Now with every package index out of reach: the cache is enough.
    let offline = ["PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_NO_INDEX": "1", "no_proxy": "*"]
    let (again, text) = try await Self.generator(["--check"], env: offline)
    #expect(again == 0, "\(text)")
  }

  @Test func aStaleCatalogFailsTheCheck() async throws {
    _ = try await Self.generator(["--check"])  // fills the cache
    let tree = FileManager.default.temporaryDirectory.appendingPathComponent("catalog-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: tree) }
    let scripts = tree.appendingPathComponent("scripts")
    let sources = tree.appendingPathComponent("Sources/AshbyCatalog")
    try FileManager.default.createDirectory(at: scripts, withIntermediateDirectories: true)
    try FileManager.default.createDirectory(at: sources, withIntermediateDirectories: true)
    let script = scripts.appendingPathComponent("endpoint-catalog")
    try FileManager.default.copyItem(at: Self.root.appendingPathComponent("scripts/endpoint-catalog"), to: script)
    let committed = try String(
      contentsOf: Self.root.appendingPathComponent("Sources/AshbyCatalog/Catalog+Endpoints.swift"), encoding: .utf8)
    let catalog = sources.appendingPathComponent("Catalog+Endpoints.swift")
    try committed.replacingOccurrences(of: "\"offer.create\", .write", with: "\"offer.create\", .read")
      .write(to: catalog, atomically: true, encoding: .utf8)
    let (status, output) = try await Self.generator(["--check"], script: script)
    #expect(status == 1)
    #expect(output.contains("is stale"))
    let (rewrote, _) = try await Self.generator([], script: script)
    #expect(rewrote == 0)
    #expect(try String(contentsOf: catalog, encoding: .utf8) == committed)
  }

  /// Read or write for all 144 endpoints, from the permission each one's description names.
  @Test func readAndWriteOfEveryEndpointComeFromTheSpec() async throws {
    _ = try await Self.generator(["--check"])
    let spec = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.cache)) as? [String: Any]
    let paths = try #require(spec?["paths"] as? [String: [String: Any]])
    #expect(paths.count == 144)
    #expect(Set(paths.keys.map { String($0.dropFirst()) }) == Set(Catalog.endpoints.map(\.name)))
    let pattern = try NSRegularExpression(pattern: "Requires the \\[`(\\w+)`\\]")
    for (path, item) in paths {
      let name = String(path.dropFirst())
      let description = (item["post"] as? [String: Any])?["description"] as? String ?? ""
      let match = pattern.firstMatch(in: description, range: NSRange(description.startIndex..., in: description))
      let permission = match.flatMap { Range($0.range(at: 1), in: description) }.map { String(description[$0]) }
      let writes = permission.map { $0.hasSuffix("Write") } ?? true  // no permission stated: treated as a write
      #expect(Catalog.isWrite(name) == writes, "\(name): \(permission ?? "none")")
      #expect(Catalog.endpoint(name)?.permission?.lowercased() == permission.map { $0.lowercased() }
        .map { $0 == "candidatewrite" ? "candidateswrite" : $0 })
    }
  }

  /// Dry run follows the catalog where the method's name would mislead.
  @Test func dryRunSendsReadsAndPlansWritesByTheCatalog() async throws {
    let h = try await Harness.start { $0.dryRun = true }
    onTeardown { await h.stop() }
    #expect(!Catalog.isWrite("user.interviewerSettings") && !Catalog.isWrite("report.generate"))
    _ = try? await h.client.call("user.interviewerSettings", ["userId": "x"])
    _ = try? await h.client.call("report.generate", ["reportId": "x"])
    _ = try await h.client.call("application.changeSource", ["applicationId": "x", "sourceId": "y"])
    _ = try await h.client.call("made.up", [:])  // unknown to the catalog: a write
    #expect(h.fake.count("user.interviewerSettings") == 1)
    #expect(h.fake.count("report.generate") == 1)
    #expect(h.fake.count("application.changeSource") == 0)
    #expect(h.client.plannedWrites.map(\.action) == ["application.changeSource", "made.up"])
  }

  /// The fake answers every catalog endpoint with Ashby's envelope, checks required
  /// fields from the catalog, and answers 404 only for names Ashby does not have.
  @Test func theFakeAnswersEveryCatalogEndpoint() async throws {
    let h = try await Harness.start()
    onTeardown { await h.stop() }
    for endpoint in Catalog.endpoints where !endpoint.multipart {
      do {
        _ = try await h.client.call(endpoint.name, [:])
        #expect(endpoint.request.requiredSets.isEmpty, "\(endpoint.name) answered without its required fields")
      } catch {
        #expect(error.code == "invalid_input", "\(endpoint.name): \(error)")
        #expect(error.status == 200, "\(endpoint.name): \(error)")
        if !endpoint.request.requiredSets.isEmpty {
          #expect(error.message.contains("Missing required field"), "\(endpoint.name): \(error)")
        }
      }
    }
    let unknown = await expectAshbyError { _ = try await h.client.call("candidate.teleport", [:]) }
    #expect(unknown?.status == 404)
  }
}

/// The catalog check with `HOME` elsewhere and no `XDG_CACHE_HOME`: the
/// generator and the tests agree that the cache is under that `HOME`. In the
/// serialized suite: the generator blocks a thread while it runs, and two at
/// once would hold the whole cooperative pool of a two-core machine.
extension CatalogTests {
  @Test func theCheckCachesUnderHome() async throws {
    let home = FileManager.default.temporaryDirectory.appendingPathComponent("home-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: home) }
    // Seed the new home's cache from ours (no download needed), as the rule places it.
    let env = ["HOME": home.path, "XDG_CACHE_HOME": ""]
    let cache = URL(fileURLWithPath: UserFolders.cache(environment: env) + "/openapi/openapi.json")
    #expect(cache.path == home.path + "/.cache/ashby-lua/openapi/openapi.json")
    _ = try await CatalogTests.generator(["--check"])  // fills our own cache
    try FileManager.default.createDirectory(at: cache.deletingLastPathComponent(), withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: CatalogTests.cache, to: cache)
    let offline = env.merging(["PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_NO_INDEX": "1", "no_proxy": "*"]) { $1 }
    let (status, output) = try await CatalogTests.generator(["--check"], env: offline)
    #expect(status == 0, "\(output)")
  }
}
