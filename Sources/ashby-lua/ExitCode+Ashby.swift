import ArgumentParser
import AshbyKit
import AshbyProcess
import AshbyScripting
import LuaHost

/// Exit codes (`ExitStatus`, DESIGN.md §3), and which one an error means.
typealias Exit = ExitStatus

extension ExitStatus {
  /// The code for an Ashby call that failed outside a script (`auth`).
  static func code(for error: AshbyError) -> Int32 {
    error.kind == .auth || error.kind == .permission ? auth : scriptError
  }

  /// The code for a script that ended with `error`.
  static func code(for error: ScriptError) -> Int32 {
    switch error.kind {
    case .auth?: return auth
    case .cancelled?: return interrupted
    default: return scriptError
    }
  }
}
