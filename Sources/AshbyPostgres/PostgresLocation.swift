import AshbyPaths
import AshbyProcess
import AshbyState
import Foundation

/// Where a PostgreSQL state is: `postgres://user@host[:port]/database[?sslmode=…]`,
/// and how to get the password without writing it into the URL.
///
/// A URL that holds a password is refused: it would show in `ps`, in
/// `/proc/<pid>/cmdline`, in unit files and in shell history. The password
/// comes from `password_command` (the schedules file's `state_password_command`),
/// else `PGPASSWORD` (taken out of the environment at start, `ProcessSecrets`),
/// else a `.pgpass` file (`PGPASSFILE`, or `~/.pgpass`), as libpq reads them.
public struct PostgresLocation: Sendable, Equatable {
  public var user: String
  public var host: String
  public var port: Int
  public var database: String
  public var sslMode: SSLMode

  public enum SSLMode: String, Sendable {
    /// Plain TCP.
    case disable
    /// TLS when the server offers it (libpq's default).
    case prefer
    /// TLS, without checking the certificate (as libpq).
    case require
    /// TLS with the certificate checked against the host name.
    case verifyFull = "verify-full"
  }

  public struct Invalid: Error, CustomStringConvertible {
    public var description: String
  }


  public init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
    guard StateLocation.isPostgres(text), let url = URLComponents(string: text), let host = url.host, !host.isEmpty else {
      throw Invalid(description: "not a PostgreSQL URL (postgres://user@host[:port]/database): \(StateLocation.printable(text))")
    }
    self.host = host
    port = url.port ?? 5432
    guard (1...65535).contains(port) else { throw Invalid(description: "the state URL's port must be from 1 to 65535") }
    user = url.user.flatMap { $0.removingPercentEncoding } ?? environment["PGUSER"] ?? environment["USER"] ?? "postgres"
    guard url.password == nil else {
      throw Invalid(
        description:
          "the state URL holds a password, which shows in `ps`, unit files and logs: leave it out and set PGPASSWORD, state_password_command or ~/.pgpass (in Kubernetes, the Secret's pg-password)"
      )
    }
    let path = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
    database = path.isEmpty ? user : (path.removingPercentEncoding ?? path)
    var mode = SSLMode.prefer
    for item in url.queryItems ?? [] {
      switch item.name {
      case "sslmode":
        guard let value = item.value.flatMap(SSLMode.init(rawValue:)) else {
          throw Invalid(
            description: "sslmode must be disable, prefer, require or verify-full, not \(item.value ?? "nothing")")
        }
        mode = value
      default:
        throw Invalid(description: "unknown parameter \(item.name) in the state URL (only sslmode is read)")
      }
    }
    sslMode = mode
  }

  /// The URL as it may be printed: never a password.
  public var description: String {
    "postgres://\(user)@\(host)\(port == 5432 ? "" : ":\(port)")/\(database)\(sslMode == .prefer ? "" : "?sslmode=\(sslMode.rawValue)")"
  }


  /// The password, from where it may be found (see the type's note); nil when none is set.
  /// - Parameter command: run with `/bin/sh -c`; its first line is the password.
  public func password(
    command: String?, environment: [String: String] = ProcessSecrets.environment
  ) throws -> String? {
    if let command { return try SecretCommand.firstLine(of: command, what: "state_password_command") }
    if let value = environment["PGPASSWORD"], !value.isEmpty { return value }
    let file = environment["PGPASSFILE"] ?? (UserFolders.home(environment: environment) + "/.pgpass")
    guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
    return Self.passfileMatch(text, host: host, port: port, database: database, user: user)
  }

  /// The first line of a `.pgpass` file (`host:port:database:user:password`,
  /// `*` matching anything, `\:` and `\\` escaped) that matches.
  static func passfileMatch(_ text: String, host: String, port: Int, database: String, user: String) -> String? {
    for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
      var fields: [String] = [""]
      var escaped = false
      for c in line {
        if escaped {
          fields[fields.count - 1].append(c)
          escaped = false
        } else if c == "\\" {
          escaped = true
        } else if c == ":" && fields.count < 5 {
          fields.append("")
        } else {
          fields[fields.count - 1].append(c)
        }
      }
      guard fields.count == 5 else { continue }
      let wanted = [host, String(port), database, user]
      if zip(fields.prefix(4), wanted).allSatisfy({ $0 == "*" || $0 == $1 }) { return fields[4] }
    }
    return nil
  }
}

extension StateLocation {
  /// How a program that links this module opens a PostgreSQL state.
  public static let postgres: PostgresOpener = { url, command in
    try PostgresEngine(try PostgresLocation(url), passwordCommand: command)
  }
}
