import AshbyKit
import AshbyProcess
import LuaHost

/// Which exit code (`ExitStatus`, DESIGN.md §3) an error means.
extension ExitStatus {
  /// The code for an Ashby call that failed outside a script (`auth`).
  public static func code(for error: AshbyError) -> Int32 {
    error.kind == .auth || error.kind == .permission ? auth : scriptError
  }

  /// The code for a script that ended with `error`.
  public static func code(for error: ScriptError) -> Int32 {
    switch error.kind {
    case .auth?: return auth
    case .cancelled?: return interrupted
    default: return scriptError
    }
  }
}
