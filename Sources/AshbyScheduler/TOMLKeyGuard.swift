/// Refuses, before TOMLKit sees it, a file where toml++ (inside TOMLKit)
/// would assert instead of reporting: a key that starts with a character no
/// key can start with, in a table header (`[?job]`) or an inline table
/// (`{ ?x = 1 }`), and a `}` where an array expects a value (`[1, }`).
///
/// Why: an assertion is an abort in a debug build and undefined behaviour past
/// `__builtin_assume` in a release one (both found by scripts/fuzz). Everything
/// else is left to TOMLKit; this only walks strings, comments and brackets to
/// know where keys and values begin.
enum TOMLKeyGuard {
  /// The 1-based line of the first such key, or nil.
  static func badKeyLine(in text: String) -> Int? {
    var scalars = Array(text.unicodeScalars)
    if scalars.first == "\u{FEFF}" { scalars.removeFirst() }  // a byte-order mark, which toml++ skips too
    var scanner = Scanner(scalars)
    return scanner.run()
  }

  private struct Scanner {
    enum Context { case array, inlineTable }

    let chars: [Unicode.Scalar]
    var at = 0
    var line = 1
    var stack: [Context] = []
    /// Only whitespace since the line began (outside any bracket): a `[` here is a header.
    var lineStart = true
    /// Inside an inline table, a key comes next (after `{` or `,`).
    var keyNext = false
    /// Inside an array, a value (or its end) comes next (after `[` or `,`).
    var valueNext = false

    init(_ chars: [Unicode.Scalar]) { self.chars = chars }

    static func isKeyStart(_ c: Unicode.Scalar) -> Bool {
      (c >= "A" && c <= "Z") || (c >= "a" && c <= "z") || (c >= "0" && c <= "9") || c == "_" || c == "-" || c == "\""
        || c == "'"
    }

    func peek(_ offset: Int = 0) -> Unicode.Scalar? { at + offset < chars.count ? chars[at + offset] : nil }

    mutating func skipBlanks() { while let c = peek(), c == " " || c == "\t" { at += 1 } }

    mutating func run() -> Int? {
      while let c = peek() {
        if c == "\n" {
          line += 1
          at += 1
          if stack.isEmpty { lineStart = true }
          continue
        }
        if c == " " || c == "\t" || c == "\r" {
          at += 1
          continue
        }
        if c == "#" {
          while let d = peek(), d != "\n" { at += 1 }
          continue
        }
        if keyNext && c != "}" {
          if !Self.isKeyStart(c) { return line }
          keyNext = false
        }
        if valueNext {
          if c == "}" { return line }
          valueNext = false
        }
        if c == "\"" || c == "'" {
          skipString(c)
          lineStart = false
          continue
        }
        if c == "[" && lineStart && stack.isEmpty {
          at += 1
          if peek() == "[" { at += 1 }
          skipBlanks()
          guard let first = peek(), Self.isKeyStart(first) || first == "]" else { return line }
          lineStart = false
          continue
        }
        lineStart = false
        switch c {
        case "[":
          stack.append(.array)
          valueNext = true
        case "{":
          stack.append(.inlineTable)
          keyNext = true
        case "]", "}": _ = stack.popLast()
        case "," where stack.last == .inlineTable: keyNext = true
        case "," where stack.last == .array: valueNext = true
        default: break
        }
        at += 1
      }
      return nil
    }

    /// Past a basic or literal string, one line or three quotes.
    mutating func skipString(_ quote: Unicode.Scalar) {
      let triple = peek(1) == quote && peek(2) == quote
      at += triple ? 3 : 1
      while let c = peek() {
        if c == "\n" && !triple { return }  // an unclosed string: TOMLKit will say so
        if c == "\n" { line += 1 }
        if c == "\\" && quote == "\"" {
          if peek(1) == "\n" { line += 1 }
          at += 2
          continue
        }
        if c == quote && (!triple || (peek(1) == quote && peek(2) == quote)) {
          at += triple ? 3 : 1
          return
        }
        at += 1
      }
    }
  }
}
