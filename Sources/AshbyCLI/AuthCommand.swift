import ArgumentParser
import AshbyKit
import AshbyScripting
import Foundation

/// `ashby-lua auth login|status|logout`.
package struct AuthCommand: AsyncParsableCommand {
  package init() {}
  package static let configuration = CommandConfiguration(
    commandName: "auth", abstract: "Store, check or remove the Ashby API key.",
    subcommands: [Login.self, Status.self, Logout.self])

  /// Flags every auth subcommand takes.
  package struct Options: ParsableArguments {
    package init() {}
    @Option(help: ArgumentHelp("The profile in config.toml.", valueName: "NAME"))
    var profile: String = "default"

    @Option(
      help: ArgumentHelp("Ashby's base URL (default: $ASHBY_BASE_URL, else https://api.ashbyhq.com).", valueName: "URL")
    )
    var baseURL: String?

    /// Asks Ashby about the key (`apiKey.info`): its title and scopes, as far as Ashby says.
    func verify(_ key: AshbyAPIKey) async throws -> Result<KeyInfo, AshbyError> {
      let saved = try AuthConfig.baseURL(profile: profile, in: AuthConfig.readFile())
      var configuration = AshbyConfiguration(baseURL: try ScriptRunner.baseURL(flag: baseURL, profile: saved), apiKey: key)
      if let version = try AuthConfig.apiVersion(profile: profile, in: AuthConfig.readFile()) {
        configuration.apiVersion = version
      }
      configuration.maxAttempts = 2
      configuration.totalTimeout = .seconds(30)
      let client = AshbyClient(configuration: configuration, logger: Loggers.ashby(verbose: false))
      let result: Result<KeyInfo, AshbyError>
      do {
        result = .success(try await KeyInfo.fetch(client))
      } catch {
        result = .failure(error)
      }
      await client.shutdown()
      return result
    }
  }

  package struct Login: AsyncParsableCommand {
    package init() {}
    package static let configuration = CommandConfiguration(
      abstract:
        "Read a key (without echo, or from standard input), check it with apiKey.info, and save it with mode 0600.")

    @OptionGroup var options: Options

    package func run() async throws {
      let text = isatty(STDIN_FILENO) != 0 ? Terminal.readSecret(prompt: "Ashby API key: ") : readLine()
      guard let text, let key = AshbyAPIKey(text) else {
        Console.error("ashby-lua: no key given")
        throw ExitCode(Exit.usage)
      }
      switch try await options.verify(key) {
      case .success(let info):
        let title = info.title
        try AuthConfig.store(key: text, profile: options.profile, baseURL: options.baseURL)
        print(
          "saved key \(key)\(title.map { " (\($0))" } ?? "") as profile \"\(options.profile)\" in \(AuthConfig.configFile.path)"
        )
      case .failure(let error):
        Console.error("ashby-lua: the key was not saved: \(error)")
        throw ExitCode(Exit.code(for: error))
      }
    }
  }

  package struct Status: AsyncParsableCommand {
    package init() {}
    package static let configuration = CommandConfiguration(abstract: "Show which key is used and whether Ashby accepts it.")

    @OptionGroup var options: Options

    package func run() async throws {
      let (key, source): (AshbyAPIKey?, AuthConfig.Source)
      do {
        (key, source) = try AuthConfig.resolve(profile: options.profile)
      } catch {
        Console.error("ashby-lua: \(error)")
        throw ExitCode(Exit.usage)
      }
      guard let key else {
        print("no key: set ASHBY_API_KEY or run `ashby-lua auth login` (profile \"\(options.profile)\")")
        throw ExitCode(Exit.auth)
      }
      let origin: String
      switch source {
      case .environment: origin = "ASHBY_API_KEY"
      case .file(let p): origin = "profile \"\(p)\" in \(AuthConfig.configFile.path)"
      case .command(let p): origin = "api_key_command of profile \"\(p)\""
      case .none: origin = "?"
      }
      print("key: \(key) from \(origin)")
      switch try await options.verify(key) {
      case .success(let info):
        print("works: yes\(info.title.map { " (\($0))" } ?? "")")
        print("API version: \(info.apiVersion) (\(info.apiVersionStatus ?? "Ashby did not say whether it is current"))")
        print(info.permissionReport())
      case .failure(let error):
        print("works: no — \(error)")
        throw ExitCode(Exit.code(for: error))
      }
    }
  }

  package struct Logout: ParsableCommand {
    package init() {}
    package static let configuration = CommandConfiguration(abstract: "Remove the profile's key from config.toml.")

    @OptionGroup var options: Options

    package func run() throws {
      do {
        let removed = try AuthConfig.remove(profile: options.profile)
        print(removed ? "removed profile \"\(options.profile)\"" : "no profile \"\(options.profile)\" to remove")
      } catch {
        Console.error("ashby-lua: \(error)")
        throw ExitCode(Exit.usage)
      }
    }
  }
}

/// Reading a secret from the terminal without echo.
package enum Terminal {
  package static func readSecret(prompt: String) -> String? {
    FileHandle.standardError.write(Data(prompt.utf8))
    var saved = termios()
    let haveTerminal = tcgetattr(STDIN_FILENO, &saved) == 0
    if haveTerminal {
      var quiet = saved
      quiet.c_lflag &= ~tcflag_t(ECHO)
      tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet)
    }
    defer {
      if haveTerminal { tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved) }
      FileHandle.standardError.write(Data("\n".utf8))
    }
    return readLine()
  }
}
