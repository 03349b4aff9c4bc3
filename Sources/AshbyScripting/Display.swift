import Foundation

/// What the stdlib's progress lines and charts may assume about the terminal:
/// the little Lua cannot find out itself.
public struct Display: Sendable {
  public enum Progress: String, Sendable {
    /// A status line on stderr, redrawn in place.
    case terminal
    /// No live line; one summary line per finished piece of work (`--verbose` off a terminal).
    case summary
    case off
  }

  public var progress: Progress
  /// Unicode block characters, unless the terminal or `NO_COLOR` / `TERM=dumb` asks for ASCII.
  public var unicode: Bool

  public init(progress: Progress = .off, unicode: Bool = true) {
    self.progress = progress
    self.unicode = unicode
  }

  /// For a process whose stderr may be a terminal: a live line only there, and only when asked.
  public static func forStandardError(quiet: Bool, verbose: Bool, unattended: Bool) -> Display {
    let term = getenv("TERM").map { String(cString: $0) }
    let dumb = term == "dumb" || getenv("NO_COLOR") != nil
    let tty = isatty(STDERR_FILENO) != 0
    let progress: Progress = quiet ? .off : (tty && !unattended && term != "dumb") ? .terminal : verbose ? .summary : .off
    return Display(progress: progress, unicode: !dumb)
  }

  /// The terminal's width in columns (stderr's, else stdout's), else `COLUMNS`, else 80.
  public static var columns: Int {
    var size = winsize()
    for fd in [STDERR_FILENO, STDOUT_FILENO] where ioctl(fd, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 {
      return Int(size.ws_col)
    }
    if let text = getenv("COLUMNS").map({ String(cString: $0) }), let n = Int(text), n > 0 { return min(n, 1000) }
    return 80
  }
}
