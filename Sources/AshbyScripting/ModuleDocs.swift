/// Help for the functions of the `ashby` modules (`util`, `util.date`, `chart`, `report`, `json`,
/// `progress`): what `ashby.help("util")` lists and `ashby.help(ashby.util.count_by)` prints. A test
/// walks the library and finds every function here, by value and by name.
struct ModuleDoc: Sendable {
  var name: String
  var summary: String
  /// (name within the module, signature, what it does)
  var functions: [(String, String, String)]

  static let all: [ModuleDoc] = [
    ModuleDoc(
      name: "util", summary: "grouping and counting lists, dates (ashby.util.date)",
      functions: [
        ("group_by", "ashby.util.group_by(list, key) -> table<any, list>", "The items by a field name or by what a function returns."),
        ("count_by", "ashby.util.count_by(list, key) -> table<any, integer>", "How many items have each value of a field (or of a function)."),
        ("index_by", "ashby.util.index_by(list, key?) -> table<any, item>", "The items by a field (default \"id\"): the last one wins."),
        ("sorted_keys", "ashby.util.sorted_keys(t) -> list", "A table's keys in order (numbers before strings)."),
      ]),
    ModuleDoc(
      name: "util.date", summary: "Ashby's ISO times: parse, format, days between",
      functions: [
        ("parse", "ashby.util.date.parse(iso) -> seconds?, error?", "Seconds since the epoch of an ISO 8601 time (nil and why when it is not one)."),
        ("format", "ashby.util.date.format(seconds?) -> string", "An ISO 8601 UTC time, as Ashby writes them (now by default)."),
        ("days_between", "ashby.util.date.days_between(a, b?) -> integer", "Whole days from a to b (now by default); ISO text or seconds."),
        ("days_ago", "ashby.util.date.days_ago(days, from?) -> string", "The ISO time `days` before `from` (now by default)."),
      ]),
    ModuleDoc(
      name: "chart", summary: "bar charts and funnels in the terminal",
      functions: [
        ("bar", "ashby.chart.bar(rows, { label = ..., value = ... })", "Prints a horizontal bar chart of rows (or of a table of label = number)."),
        ("funnel", "ashby.chart.funnel(stages, opts?)", "Prints a funnel of stages, each with its share of the first."),
        ("bar_text", "ashby.chart.bar_text(rows, opts?) -> string", "The bar chart as text."),
        ("funnel_text", "ashby.chart.funnel_text(stages, opts?) -> string", "The funnel as text."),
        ("configure", "ashby.chart.configure{ unicode = ..., columns = ... }", "Set by the host (the terminal's width, Unicode or ASCII); a script need not call it."),
      ]),
    ModuleDoc(
      name: "report", summary: "self-contained HTML reports",
      functions: [
        ("html", "ashby.report.html(path, { title = ..., sections = { ... } }) -> path", "Writes one self-contained HTML file: inline CSS and SVG charts, every text escaped."),
        ("render", "ashby.report.render(spec) -> string", "The report's HTML as text (what a sandboxed run prints instead of writing a file)."),
        ("escape", "ashby.report.escape(value) -> string", "A value as HTML text, every special character escaped."),
      ]),
    ModuleDoc(
      name: "csv", summary: "rows as CSV text or a file (RFC 4180)",
      functions: [
        ("encode", "ashby.csv.encode(rows, { columns = {...}, header = true }) -> string", "CSV text of rows (tables by column name, or lists), quoted as RFC 4180 says."),
        ("write", "ashby.csv.write(path, rows, opts?) -> path", "Writes the CSV text of rows to a file."),
      ]),
    ModuleDoc(
      name: "json", summary: "encode/decode JSON; ashby.json.null is JSON null",
      functions: [
        ("encode", "ashby.json.encode(value) -> string", "JSON text of a value; arrays stay arrays."),
        ("decode", "ashby.json.decode(text) -> any", "The value of JSON text; null is ashby.json.null."),
        ("array", "ashby.json.array(t?) -> table", "Marks a table as a JSON array (so an empty one encodes as [])."),
      ]),
    ModuleDoc(
      name: "progress", summary: "a status line for long work",
      functions: [
        ("new", "ashby.progress{ total = n, label = \"import\" } -> handle", "A status line on the terminal: handle:step(), handle:done() (ashby.map, ashby.all and ashby.pages have their own)."),
        ("line", "ashby.progress.line(handle, now?) -> string", "The status line's text now."),
        ("clear", "ashby.progress.clear()", "Clears a status line left on the terminal (the host does at the end of a run)."),
        ("configure", "ashby.progress.configure{ ... }", "Set by the host (the terminal, the clock); a script need not call it."),
      ]),
  ]

  static func named(_ name: String) -> ModuleDoc? { all.first { $0.name == name } }

  /// `module.function`'s signature and summary.
  static func function(_ qualified: String) -> (signature: String, summary: String)? {
    for module in all where qualified.hasPrefix(module.name + ".") {
      let rest = qualified.dropFirst(module.name.count + 1)
      if let f = module.functions.first(where: { $0.0 == rest }) { return (f.1, f.2) }
    }
    return nil
  }

  var listing: String {
    let width = functions.map(\.0.count).max() ?? 0
    let rows = functions.map { "  \($0.0.padding(toLength: width, withPad: " ", startingAt: 0))  \($0.2)" }
    let more = ModuleDoc.all.filter { $0.name.hasPrefix(name + ".") }.map { "  \($0.name): ashby.help(\"\($0.name)\")" }
    return "ashby.\(name): \(summary)\n" + (rows + more).joined(separator: "\n")
  }
}
