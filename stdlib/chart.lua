-- ashby.chart: bar charts and funnels in the terminal, with Unicode blocks
-- (eighths of a cell) or ASCII when the terminal asks for it (TERM=dumb,
-- NO_COLOR) or the caller does (`ascii = true`). Width-aware: the chart fits
-- the terminal's columns, or `width`.
-- Available as `ashby.chart` and require("ashby.chart").
local chart = {}

local env = { unicode = true, columns = function() return 80 end }

--- Sets what the host knows (Unicode allowed, terminal width); tests set it too.
function chart.configure(t)
  for k, v in pairs(t) do env[k] = v end
end

local eighths = { "▏", "▎", "▍", "▌", "▋", "▊", "▉", "█" }

-- Display width of a string: its UTF-8 characters (each counted as one column).
local function width_of(s)
  return utf8.len(s) or #s
end

local function pad(s, w)
  return s .. string.rep(" ", w - width_of(s))
end

local function truncate(s, w)
  if width_of(s) <= w then return s end
  if w <= 1 then return "…" end
  local cut = utf8.offset(s, w) or (w + 1)
  return s:sub(1, cut - 1) .. "…"
end

-- A bar of `cells` (fractional) cells.
local function bar(cells, ascii)
  if cells <= 0 then return "" end
  if ascii then return string.rep("#", math.max(1, math.floor(cells + 0.5))) end
  local whole = math.floor(cells)
  local part = math.floor((cells - whole) * 8 + 0.5)
  if part == 8 then whole, part = whole + 1, 0 end
  local s = string.rep(eighths[8], whole)
  if part > 0 then s = s .. eighths[part] end
  if s == "" then s = eighths[1] end
  return s
end

local function number_text(v)
  if math.type(v) == "integer" then return tostring(v) end
  if v == math.floor(v) and math.abs(v) < 1e15 then return ("%d"):format(v) end
  return ("%.2f"):format(v)
end

-- Rows as {label, value} pairs: a list of tables (keys from opts), or a map of label -> number.
local function normalize(rows, opts, fname)
  if type(rows) ~= "table" then error(fname .. ": expects a list of rows or a table of label = number", 3) end
  local label, value = opts.label or "label", opts.value or "value"
  local out = {}
  if #rows > 0 then
    for i, row in ipairs(rows) do
      local l, v
      if type(row) == "table" then
        l, v = row[label], row[value]
        if l == nil and v == nil then l, v = row[1], row[2] end
      end
      if type(v) ~= "number" then
        error(("%s: row %d has no number under %q"):format(fname, i, value), 3)
      end
      out[#out + 1] = { label = tostring(l == nil and "" or l), value = v }
    end
  else
    local keys = {}
    for k, v in pairs(rows) do
      if type(v) == "number" then keys[#keys + 1] = k end
    end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    for _, k in ipairs(keys) do out[#out + 1] = { label = tostring(k), value = rows[k] } end
  end
  return out
end

local checker = require("ashby.options")
local option_types = { label = "string", value = "string", ascii = "boolean", width = "integer", title = "string|number" }

local function options(opts, fname)
  opts = checker.check(fname, opts, option_types)
  local ascii = opts.ascii
  if ascii == nil then ascii = not env.unicode end
  local width = opts.width or env.columns()
  if math.type(width) ~= "integer" or width < 20 then width = 20 end
  return opts, ascii, width
end

-- What both charts start from: the options, the rows, the label and value columns'
-- widths, the largest value, and the lines so far (the title). Nil when there are no rows.
local function layout(rows, opts, fname)
  local c = {}
  c.opts, c.ascii, c.width = options(opts, fname)
  c.items = normalize(rows, c.opts, fname)
  if #c.items == 0 then return nil end
  c.label_w, c.value_w, c.max = 0, 0, 0
  for _, it in ipairs(c.items) do
    c.label_w = math.max(c.label_w, width_of(it.label))
    c.value_w = math.max(c.value_w, #number_text(it.value))
    c.max = math.max(c.max, it.value)
  end
  c.label_w = math.min(c.label_w, math.max(8, c.width // 3))
  c.lines = { c.opts.title and tostring(c.opts.title) or nil }
  return c
end

local function value_cell(v, w) return string.rep(" ", w - #number_text(v)) .. number_text(v) end
local function label_cell(c, label) return pad(truncate(label, c.label_w), c.label_w) end
local function cells(c, value, bar_w) return c.max > 0 and math.max(value, 0) / c.max * bar_w or 0 end

--- The text of a horizontal bar chart (one line per row, longest bar = the largest value).
function chart.bar_text(rows, opts)
  local c = layout(rows, opts, "ashby.chart.bar")
  if not c then return "(no data)" end
  local bar_w = math.max(1, c.width - c.label_w - c.value_w - 3)
  for _, it in ipairs(c.items) do
    local line = ("%s %s %s"):format(
      label_cell(c, it.label), pad(bar(cells(c, it.value, bar_w), c.ascii), bar_w), value_cell(it.value, c.value_w))
    c.lines[#c.lines + 1] = (line:gsub("%s+$", ""))
  end
  return table.concat(c.lines, "\n")
end

--- The text of a funnel: one centred bar per stage, with its share of the first stage.
function chart.funnel_text(stages, opts)
  local c = layout(stages, opts, "ashby.chart.funnel")
  if not c then return "(no data)" end
  local pct_w = 5 -- "100%"
  local bar_w = math.max(2, c.width - c.label_w - c.value_w - pct_w - 4)
  local first = c.items[1].value
  for _, it in ipairs(c.items) do
    local whole = math.floor(cells(c, it.value, bar_w) + 0.5)
    if it.value > 0 and whole == 0 then whole = 1 end
    local left = (bar_w - whole) // 2
    local b = string.rep(" ", left) .. string.rep(c.ascii and "#" or "█", whole) .. string.rep(" ", bar_w - whole - left)
    local pct = first > 0 and ("%d%%"):format(math.floor(it.value * 100 / first + 0.5)) or "-"
    c.lines[#c.lines + 1] = ("%s %s %s %s"):format(
      label_cell(c, it.label), b, value_cell(it.value, c.value_w), string.rep(" ", pct_w - #pct) .. pct)
  end
  return table.concat(c.lines, "\n")
end

--- Prints a horizontal bar chart: `ashby.chart.bar(rows, { label = "title", value = "count" })`.
function chart.bar(rows, opts)
  print(chart.bar_text(rows, opts))
end

--- Prints a funnel of pipeline stages: `ashby.chart.funnel{ {"Applied", 120}, {"Screen", 40} }`.
function chart.funnel(stages, opts)
  print(chart.funnel_text(stages, opts))
end

return chart
