import AshbyKit
import LuaHost

/// How an Ashby error table reads as one line, for `tostring(err)` and for
/// an error that ends a script:
/// `ashby.get_job: not_found (job_not_found): Job not found at job.lua:3`.
enum ErrorText {
  static func describe(_ fields: [String: LuaValue]) -> String {
    let text = defaultErrorDescriber(fields)
    guard let action = fields["action"]?.stringValue else { return text }
    return "ashby.\(action): \(text)"
  }
}

extension LuaErrorKind {
  /// Ashby's kinds that hosts act on (exit code 3).
  public static let auth: LuaErrorKind = LuaErrorKind(rawValue: AshbyError.Kind.auth.rawValue)
}
