import AshbyTestSupport
import LuaHost
import Testing

/// `ashby.help` finds everything: every function and module of the library, by value and by name.
@Suite(.teardown) struct HelpCoverageTests {
  @Test func everyFunctionOfTheLibraryHasHelpByValueAndByName() async throws {
    let s = try await Session.start()
    onTeardown { await s.stop() }
    let result = try await s.run(
      """
      local captured
      local real_print = print
      print = function(text) captured = text end
      local function help(what) captured = nil; ashby.help(what); return captured or "" end
      local overview = help()
      local modules = { util = true, ["util.date"] = true, chart = true, report = true, json = true, progress = true, csv = true }
      local problems, checked, seen = {}, 0, {}
      local _ = ashby.util, ashby.chart, ashby.report, ashby.progress, ashby.csv
      local function walk(t, prefix)
        for k, v in next, t do
          if type(k) == "string" and (type(v) == "function" or type(v) == "table") and not seen[v] then
            seen[v] = true
            local name = prefix .. k
            if type(v) == "function" or modules[name] then
              local by_value, by_name = help(v), help(name)
              checked = checked + 1
              if by_value == overview or by_value:find("^no help") or by_value ~= by_name then
                problems[#problems + 1] = name
              end
            end
            if type(v) == "table" then walk(v, name .. ".") end
          end
        end
      end
      walk(ashby, "")
      print = real_print
      -- Every module is in the overview.
      for module in pairs(modules) do
        if not overview:find("\\n  " .. module:gsub("%.", "%%.") .. " ") then problems[#problems + 1] = "overview: " .. module end
      end
      return table.concat(problems, ", "), checked
      """)
    #expect(result.first == .string(""), "no help, or different help by value and by name: \(result)")
    #expect((result.last?.integerValue ?? 0) > 40, "the walk found too little: \(result)")
  }
}
