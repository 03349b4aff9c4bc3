import ArgumentParser
import AshbyKit
import AshbyScripting
import LuaHost

/// Exit codes, as DESIGN.md §3 fixes them.
enum Exit {
  static let scriptError: Int32 = 1
  static let usage: Int32 = 2
  static let auth: Int32 = 3
  static let interrupted: Int32 = 130

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
