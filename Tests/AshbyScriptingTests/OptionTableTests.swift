import Testing

/// Every option table of the `ashby` library refuses a misspelt key and a
/// wrong type: an `argument` error naming the key, with the nearest name,
/// instead of an option silently ignored.
@Suite struct OptionTableTests {
  static let cases: [(call: String, key: String, meant: String?)] = [
    ("ashby.map({ 1 }, tostring, { concurency = 2 })", "concurency", "concurrency"),
    ("ashby.map({ 1 }, tostring, { concurrency = '2' })", "concurrency", nil),
    ("ashby.changes('application.list', {}, { on_frist = 'skip' })", "on_frist", "on_first"),
    ("ashby.progress{ totl = 3 }", "totl", "total"),
    ("ashby.chart.bar({ { label = 'a', value = 1 } }, { widht = 30 })", "widht", "width"),
    ("ashby.chart.funnel_text({ { 'a', 1 } }, { titel = 'x' })", "titel", "title"),
    ("ashby.chart.bar_text({ { 'a', 1 } }, { ascii = 'yes' })", "ascii", nil),
    ("ashby.report.render{ titel = 'x' }", "titel", "title"),
    ("ashby.report.render{ sections = { { chart = { { 'a', 1 } } } } }", "chart", nil),
    ("ashby.report.render{ sections = { { tabl = { rows = {} } } } }", "tabl", "table"),
    ("ashby.report.render{ sections = { { table = { colums = { 'a' }, rows = {} } } } }", "colums", "columns"),
    ("require('ashby.pretty').format({}, { dept = 2 })", "dept", "depth"),
    ("ashby.call('source.list', {}, { uncheked = true })", "uncheked", "unchecked"),
    ("ashby.pages('source.list', {}, { uncheked = true })", "uncheked", "unchecked"),
  ]

  @Test func everyOptionTableRefusesAMisspeltKeyAndAWrongType() async throws {
    let s = try await Session.start()
    for (call, key, meant) in Self.cases {
      let r = try await s.run(
        """
        local ok, e = pcall(function() local _ = \(call) end)
        if ok then return "accepted" end
        if not ashby.is_error(e) then return "not an ashby error: " .. tostring(e) end
        return e.kind, e.parameter, e.message, e.where
        """)
      #expect(r.first == "argument", "\(call): \(r)")
      #expect(r.count > 1 && r[1] == .string(key), "\(call): \(r)")
      let message = r.count > 2 ? r[2].stringValue ?? "" : ""
      if let meant {
        #expect(message.contains("unknown option") && message.contains("(did you mean \(meant)?)"), "\(call): \(message)")
      } else {
        #expect(message.contains(key), "\(call): \(message)")
      }
      #expect(r.count > 3 && r[3] == "script.lua:1", "\(call): the error points at the script's line: \(r)")
    }
    #expect(s.fake.requests.isEmpty)
    await s.stop()
  }
}
