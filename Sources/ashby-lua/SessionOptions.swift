import ArgumentParser

/// Flags shared by `run` and `repl`.
struct SessionOptions: ParsableArguments {
  @Flag(help: "Run without file, process or debug access (no io, os.execute, package.loadlib, string.dump, bytecode).")
  var sandbox = false

  @Option(help: ArgumentHelp("Stop the script after this many seconds.", valueName: "SECONDS"))
  var timeout: Double?

  @Option(help: ArgumentHelp("Cap Lua's memory, in MB.", valueName: "MB"))
  var maxMemory: Int?

  @Option(help: ArgumentHelp("Host calls (HTTP requests) in flight at once.", valueName: "N"))
  var concurrency: Int = 16

  func validate() throws {
    if let timeout, !(timeout > 0) { throw ValidationError("--timeout must be a positive number of seconds.") }
    if let maxMemory, maxMemory <= 0 { throw ValidationError("--max-memory must be a positive number of MB.") }
    if concurrency < 1 { throw ValidationError("--concurrency must be at least 1.") }
  }
}
