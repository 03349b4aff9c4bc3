import AshbyScheduler
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
import Prometheus
import ServiceLifecycle

/// `GET /metrics` on an address of its own (`--metrics HOST:PORT`), for a
/// daemon that serves no hooks; with `--listen`, the listener serves it too.
/// A service of the daemon's group, stopped gracefully with the rest.
public struct MetricsServer: Service {
  static let contentType = "text/plain; version=0.0.4; charset=utf-8"

  let host: String
  let port: Int
  let render: @Sendable () -> [UInt8]

  public init(host: String, port: Int, render: @escaping @Sendable () -> [UInt8]) {
    self.host = host
    self.port = port
    self.render = render
  }

  /// The registry the daemon's metrics go to: swift-metrics bootstrapped onto
  /// it (once per process), and how to render it.
  public static func bootstrap() -> @Sendable () -> [UInt8] {
    let registry = PrometheusCollectorRegistry()
    MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    return { withHelp(registry.emitToString()) }
  }

  /// The exposition with a `# HELP` line before each family's `# TYPE` line (`DaemonMetrics.help`).
  static func withHelp(_ text: String) -> [UInt8] {
    var out = ""
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.hasPrefix("# TYPE "), let name = line.split(separator: " ").dropFirst(2).first,
        let help = DaemonMetrics.help[String(name)]
      {
        out += "# HELP \(name) \(help)\n"
      }
      out += line + "\n"
    }
    return Array(out.dropLast().utf8)
  }

  public func run() async throws {
    let router = Router()
    router.get("metrics") { _, _ in
      Response(
        status: .ok, headers: [.contentType: Self.contentType], body: .init(byteBuffer: ByteBuffer(bytes: render())))
    }
    var logger = Logger(label: "ashby-lua.metrics")
    logger.logLevel = .critical
    let app = Application(
      router: router, configuration: .init(address: .hostname(host, port: port), serverName: "ashby-lua"), logger: logger)
    try await app.run()
  }
}
