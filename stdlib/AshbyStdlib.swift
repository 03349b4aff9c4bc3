// The Lua half of ashby-lua, compiled into the binary (so an installed binary
// works from any directory). The `.lua` files beside this one are the source.

/// The embedded Lua modules and the LuaLS stub file.
public enum AshbyStdlib {
  /// `prelude(ashby, private)`: parallel helpers, pages, help, dry_run.
  public static var prelude: String { text(PackageResources.prelude_lua) }
  /// `require("ashby.pretty")`: the printer the REPL uses.
  public static var pretty: String { text(PackageResources.pretty_lua) }
  /// `require("ashby.util")`: group_by, count_by, index_by, dates.
  public static var util: String { text(PackageResources.util_lua) }
  /// `require("ashby.repl")`: runs REPL lines and completes names.
  public static var repl: String { text(PackageResources.repl_lua) }
  /// `require("ashby.progress")`: the status line for long work.
  public static var progress: String { text(PackageResources.progress_lua) }
  /// `require("ashby.chart")`: bar charts and funnels in the terminal.
  public static var chart: String { text(PackageResources.chart_lua) }
  /// `require("ashby.report")`: self-contained HTML reports.
  public static var report: String { text(PackageResources.report_lua) }
  /// `require("ashby.csv")`: rows as RFC 4180 CSV.
  public static var csv: String { text(PackageResources.csv_lua) }
  /// `require("ashby.spec")`: `ashby-lua test`'s runner (describe, it, assert).
  public static var spec: String { text(PackageResources.spec_lua) }
  /// `require("ashby.assert")`: luassert's common forms, for the runner.
  public static var assertions: String { text(PackageResources.assert_lua) }
  /// `require("ashby.clock")`: a frozen clock for tests.
  public static var clock: String { text(PackageResources.clock_lua) }
  /// The LuaLS `---@meta` file for the `ashby` table, as checked in (see TypeStubs).
  public static var stubs: String { text(PackageResources.ashby_meta_lua) }

  static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
}
