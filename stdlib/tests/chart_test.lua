-- Tests for ashby.chart: bar charts and funnels, Unicode and ASCII, pinned.
local chart = require("ashby.chart")
chart.configure { unicode = true, columns = function() return 40 end }

local rows = { { label = "Backend", value = 8 }, { label = "Design", value = 3 }, { label = "Sales", value = 0 } }
local function pinned(got, want) assert(got == want, "\n" .. got .. "\n--- wanted ---\n" .. want) end
pinned(chart.bar_text(rows, { width = 40 }), table.concat({
  "Backend █████████████████████████████ 8",
  "Design  ██████████▉                   3",
  "Sales                                 0",
}, "\n"))
pinned(chart.bar_text(rows, { width = 40, ascii = true }), table.concat({
  "Backend ############################# 8",
  "Design  ###########                   3",
  "Sales                                 0",
}, "\n"))

-- Other keys, pairs and maps; a title.
assert(chart.bar_text({ { name = "a", n = 2 } }, { label = "name", value = "n", width = 20 }):find("^a "))
pinned(chart.bar_text({ { "a", 1 }, { "b", 2 } }, { width = 20, ascii = true }), table.concat({
  "a ########        1",
  "b ############### 2",
}, "\n"))
pinned(chart.bar_text({ beta = 1, alpha = 2 }, { width = 20, ascii = true, title = "T" }), table.concat({
  "T",
  "alpha ########### 2",
  "beta  ######      1",
}, "\n"))
assert(chart.bar_text({}) == "(no data)")

-- The terminal width when none is given; labels are cut to fit.
local wide = chart.bar_text({ { label = string.rep("é", 50), value = 1 } })
for line in wide:gmatch("[^\n]+") do assert(utf8.len(line) <= 40, line) end

pinned(chart.funnel_text({ { "Applied", 100 }, { "Screen", 50 }, { "Onsite", 10 } }, { width = 40 }), table.concat({
  "Applied █████████████████████ 100  100%",
  "Screen       ███████████       50   50%",
  "Onsite           ██            10   10%",
}, "\n"))
pinned(chart.funnel_text({ { "Applied", 4 }, { "Hired", 1 } }, { width = 30, ascii = true }), table.concat({
  "Applied ############# 4  100%",
  "Hired        ###      1   25%",
}, "\n"))

-- Bad input says what is wrong.
local ok, err = pcall(chart.bar_text, { { label = "a" } })
assert(not ok and err:find('row 1 has no number under "value"'), err)
assert(not pcall(chart.bar_text, 42))

-- TERM=dumb / NO_COLOR: ASCII by default.
chart.configure { unicode = false }
assert(not chart.bar_text(rows, { width = 40 }):find("█"))
chart.configure { unicode = true }
return "ok"
