enum ClientBench {
  static func run() async throws -> [Row] { [] }
}
