import AshbyKit
import AshbyCatalog
import ArgumentParser
import AshbyProcess
import Foundation
import LuaHost

/// Flags shared by `run` and `repl`.
package struct SessionOptions: ParsableArguments {
  package init() {}
  @Flag(help: "Start an in-process fake Ashby with demo data and use it (no key needed).")
  package var fake = false

  @Flag(help: "Send reads, record writes instead of sending them, and print the plan at the end.")
  package var dryRun = false

  @Option(
    help: ArgumentHelp("Ashby's base URL (default: $ASHBY_BASE_URL, else https://api.ashbyhq.com).", valueName: "URL"))
  package var baseURL: String?

  @Option(help: ArgumentHelp("The profile in config.toml that holds the API key.", valueName: "NAME"))
  package var profile: String = RunSettings.defaults.profile

  @Flag(help: "Run without file, process or debug access (no io, os.execute, package.loadlib, string.dump, bytecode).")
  package var sandbox = false

  @Option(
    help: ArgumentHelp(
      "Ashby's dated API version, sent as Ashby-Version (default: api_version in config.toml, else the catalog's, \(Catalog.apiVersion)).",
      valueName: "YYYY-MM-DD"))
  package var apiVersion: String?

  @Option(
    help: ArgumentHelp(
      "Send writes as this Ashby user (a user id or an email; X-On-Behalf-Of; the key needs the permission to act on behalf of users).",
      valueName: "USER"))
  package var onBehalfOf: String?

  @Flag(
    help:
      "Result tables give nil for any field they lack, instead of raising for a field their object does not have (default: strict_results in config.toml, else strict)."
  )
  package var looseResults = false

  @Option(help: ArgumentHelp("Stop the script after this many seconds.", valueName: "SECONDS"))
  package var timeout: Double?

  @Option(help: ArgumentHelp("Cap Lua's memory, in MB.", valueName: "MB"))
  package var maxMemory: Int?

  @Option(help: ArgumentHelp("Ashby requests in flight at once.", valueName: "N"))
  package var concurrency: Int = RunSettings.defaults.concurrency

  @Option(
    help: ArgumentHelp(
      "Ashby requests per minute for this process (default: rate_limit in config.toml, else 1000).",
      valueName: "PER_MINUTE"))
  package var rateLimit: Int?

  @Flag(
    name: .shortAndLong,
    help: "Print one line per Ashby call on stderr (endpoint, status, milliseconds, retries) and waits for the rate budget.")
  package var verbose = false

  @Flag(name: .shortAndLong, help: "No progress line on the terminal for long work (ashby.map, ashby.pages, ...).")
  package var quiet = false

  /// The largest `--max-memory`, in MB (a terabyte), and `--concurrency`.

  package func validate() throws {
    if let timeout, !(timeout > 0 && timeout <= RunLimits.maxTimeout) {
      throw ValidationError("--timeout must be a number of seconds above 0 and at most \(Int(RunLimits.maxTimeout)) (a year).")  // Int of a finite constant, a year of seconds
    }
    if let maxMemory, !RunLimits.memoryMB.contains(maxMemory) {
      throw ValidationError("--max-memory must be a number of MB from 1 to \(RunLimits.memoryMB.upperBound).")
    }
    if let rateLimit, !RunLimits.rateLimit.contains(rateLimit) {
      throw ValidationError("--rate-limit must be a whole number of requests per minute from 1 to \(RunLimits.rateLimit.upperBound).")
    }
    if !RunLimits.concurrency.contains(concurrency) {
      throw ValidationError("--concurrency must be from 1 to \(RunLimits.concurrency.upperBound).")
    }
    if let baseURL, URL(string: baseURL)?.host == nil {
      throw ValidationError("--base-url must be a URL like https://api.ashbyhq.com, got \"\(baseURL)\".")
    }
    if fake && baseURL != nil { throw ValidationError("--fake and --base-url cannot be used together.") }
    if let apiVersion, !Catalog.isAPIVersion(apiVersion) {
      throw ValidationError("--api-version must be a date like \(Catalog.apiVersion), got \"\(apiVersion.prefix(40))\".")
    }
    if let onBehalfOf, !Catalog.isOnBehalfOf(onBehalfOf) {
      throw ValidationError("--on-behalf-of must be an Ashby user id or email (printable, no spaces).")
    }
  }

  /// What the flags ask for, as plain values.
  package var settings: RunSettings {
    RunSettings(
      fake: fake, dryRun: dryRun, baseURL: baseURL, profile: profile, sandbox: sandbox, looseResults: looseResults,
      apiVersion: apiVersion, onBehalfOf: onBehalfOf, timeout: timeout,
      maxMemory: maxMemory, concurrency: concurrency, rateLimit: rateLimit, verbose: verbose, quiet: quiet)
  }
}
