/// What follows a script's name on `ashby-lua run`'s command line (and in a
/// job's `args`, which are put there): the script's arguments, as `lua` has it,
/// except that one of `ashby-lua run`'s own options is refused there.
///
/// A safety flag such as `--dry-run` written after the script would reach the
/// script and change nothing else, so the run would write for real. Refusing it
/// costs the user one edit; accepting it can cost them their pipeline. A `--`
/// after the script ends the check: what follows goes to the script as written,
/// and the `--` itself does not (as with getopt).
public enum ScriptArguments {
  /// The first argument that names one of `options` (`--dry-run`, or
  /// `--base-url=URL`) and stands before any `--`; nil when there is none.
  public static func misplacedOption(in arguments: [String], options: Set<String>) -> String? {
    for argument in arguments {
      if argument == "--" { return nil }
      guard argument.hasPrefix("-") else { continue }
      let name = String(argument.prefix { $0 != "=" })
      if options.contains(name) { return name }
    }
    return nil
  }

  /// The arguments the script gets: all of them but the first `--`.
  public static func forScript(_ arguments: [String]) -> [String] {
    guard let separator = arguments.firstIndex(of: "--") else { return arguments }
    var rest = arguments
    rest.remove(at: separator)
    return rest
  }

  /// The schedule file's key that does what `option` would, where there is one.
  public static func jobKey(for option: String) -> String? {
    switch option {
    case "--dry-run": "dry_run = true"
    case "--sandbox": "sandbox = true"
    case "--timeout": "timeout"
    case "--rate-limit": "rate_limit"
    default: nil
    }
  }
}
