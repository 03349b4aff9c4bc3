import AshbyTestSupport
import Foundation
import Synchronization
import Testing

/// HTML reports opened in a real browser: headless Chromium (Debian's `chromium`,
/// installed by .ci/run) renders them to a PNG and dumps the DOM.
@Suite struct ReportTests {
  static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
    FileManager.default.isExecutableFile(atPath: $0)
  }

  struct Browser {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  /// Chromium takes seconds: both pipes are read on threads of their own and its
  /// end is polled, so it never holds a thread of the cooperative pool.
  static func browse(_ args: [String]) async throws -> Browser {
    let path = try #require(chromium, "install chromium (apt-get install chromium): the report tests open HTML in it")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = [
      "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
      "--enable-logging=stderr", "--v=0",
    ] + args
    let home = try scratch()
    process.environment = ["HOME": home.path, "PATH": "/usr/bin:/bin"]
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read both pipes while it runs (a full pipe would stall it).
    let errData = Mutex<Data>(Data())
    let outData = Mutex<Data>(Data())
    let reader = Thread { errData.withLock { $0 = err.fileHandleForReading.readDataToEndOfFile() } }
    let outReader = Thread { outData.withLock { $0 = out.fileHandleForReading.readDataToEndOfFile() } }
    reader.start()
    outReader.start()
    while process.isRunning || !reader.isFinished || !outReader.isFinished {
      try await Task.sleep(for: .milliseconds(20))
    }
    return Browser(
      status: process.terminationStatus, stdout: String(decoding: outData.withLock { $0 }, as: UTF8.self),
      stderr: String(decoding: errData.withLock { $0 }, as: UTF8.self))
  }

  /// Nothing the page asked for was refused or failed (the CSP forbids every load).
  static func loadedCleanly(_ b: Browser) -> Bool {
    !["Refused to", "net::ERR", "Failed to load", "Uncaught"].contains { b.stderr.contains($0) }
  }

  @Test func thePipelineReportRendersWithItsChartsAndLoadsNothing() async throws {
    let dir = try scratch()
    let html = dir.appendingPathComponent("report.html").path
    let made = try await run(["run", "--fake", "scripts/pipeline-report.lua", "--html", html], cwd: packageRoot)
    #expect(made.status == 0, "\(made.all)")
    let png = dir.appendingPathComponent("report.png").path
    let shot = try await Self.browse(["--screenshot=\(png)", "--window-size=1100,1800", "file://\(html)"])
    #expect(shot.status == 0)
    let image = try Data(contentsOf: URL(fileURLWithPath: png))
    #expect(image.starts(with: [0x89, 0x50, 0x4E, 0x47]) && image.count > 20_000, "a PNG of \(image.count) bytes")
    let dom = try await Self.browse(["--dump-dom", "file://\(html)"])
    #expect(dom.stdout.contains("<h1 dir=\"auto\">Pipeline report</h1>"))
    #expect(dom.stdout.contains("<h2 dir=\"auto\">Every job</h2>"))
    #expect(dom.stdout.components(separatedBy: "<svg class=\"chart funnel\"").count - 1 >= 2)
    #expect(dom.stdout.contains("<svg class=\"chart bar\""))
    #expect(dom.stdout.components(separatedBy: "<rect ").count - 1 >= 10)
    #expect(dom.stdout.contains("<table>"))
    #expect(Self.loadedCleanly(shot) && Self.loadedCleanly(dom), "\(dom.stderr)")
  }

  /// Hostile job titles stay text in the browser: no element, no script, the RTL mark kept.
  @Test func hostileTitlesAreTextInTheBrowser() async throws {
    let dir = try scratch()
    let html = dir.appendingPathComponent("hostile.html").path
    let source = #"""
      local evil = '<script>document.title="pwned"</script><img src=x onerror=alert(1)> "quoted" \u{202E}reganaM'
      ashby.report.html(arg[1], { title = evil, sections = {
        { title = evil, bar = { { label = evil, value = 2 } } },
        { funnel = { { evil, 3 }, { "Onsite", 1 } } },
        { table = { columns = { evil }, rows = { { evil } } } },
      } })
      """#
    let made = try await run(["run", try script(source), html])
    #expect(made.status == 0, "\(made.all)")
    let dom = try await Self.browse(["--dump-dom", "file://\(html)"])
    #expect(!dom.stdout.contains("<title>pwned</title>"))  // the script never ran
    #expect(!dom.stdout.contains("<img"))
    #expect(dom.stdout.components(separatedBy: "<script").count == 1, "no script element")
    #expect(dom.stdout.contains("&lt;script&gt;"))
    #expect(dom.stdout.contains("\u{202E}reganaM"))
    #expect(Self.loadedCleanly(dom), "\(dom.stderr)")
  }
}
