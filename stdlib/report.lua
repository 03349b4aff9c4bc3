-- ashby.report: one self-contained HTML file with tables and bar/funnel charts
-- (inline CSS and SVG; no scripts, no external assets: a Content-Security-Policy
-- forbids loading anything). Every text is HTML-escaped; text elements carry
-- dir="auto" so right-to-left titles render as written.
-- Available as `ashby.report` and require("ashby.report").
local report = {}
local checker = require("ashby.options")
local spec_types = { title = "string|number", subtitle = "string|number", sections = "table" }
local section_types = {
  title = "string|number", text = "string|number", bar = "table", funnel = "table", table = "table",
  label = "string", value = "string",
}

--- HTML-escapes a value's text (&, <, >, " and ').
function report.escape(value)
  return (tostring(value):gsub("[&<>\"']", {
    ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&#39;",
  }))
end
local esc = report.escape

local function number_text(v)
  if math.type(v) == "integer" or (v == math.floor(v) and math.abs(v) < 1e15) then return ("%d"):format(v) end
  return ("%.2f"):format(v)
end

-- {label, value} rows from a list of tables (keys `label`/`value`, or the section's) or pairs.
local function rows_of(list, section, what)
  if type(list) ~= "table" then error(("ashby.report.html: %s must be a list of rows"):format(what), 4) end
  local label, value = section.label or "label", section.value or "value"
  local out = {}
  for i, row in ipairs(list) do
    local l, v = row[label], row[value]
    if l == nil and v == nil then l, v = row[1], row[2] end
    if type(v) ~= "number" then
      error(("ashby.report.html: %s row %d has no number under %q"):format(what, i, value), 4)
    end
    out[#out + 1] = { label = tostring(l == nil and "" or l), value = v }
  end
  return out
end

local function largest(rows)
  local max = 0
  for _, r in ipairs(rows) do max = math.max(max, r.value) end
  return max
end

-- An <svg> of one row per item; `row(i, r, y, w)` draws one (w: the bar's length).
local function chart_svg(class, rows, row_h, extra_w, row)
  local max, label_w, bar_w = largest(rows), 220, 460
  local w, h = label_w + bar_w + extra_w, #rows * row_h + 10
  local out = { ('<svg class="chart %s" role="img" viewBox="0 0 %d %d" width="%d" height="%d">'):format(class, w, h, w, h) }
  for i, r in ipairs(rows) do
    row(out, r, (i - 1) * row_h + 5, max > 0 and math.max(r.value, 0) / max * bar_w or 0, label_w, bar_w)
  end
  out[#out + 1] = "</svg>"
  return table.concat(out, "\n")
end

local function bar_svg(rows)
  return chart_svg("bar", rows, 26, 80, function(out, r, y, w, label_w)
    out[#out + 1] = ('<text x="%d" y="%d" text-anchor="end">%s</text>'):format(label_w - 8, y + 17, esc(r.label))
    out[#out + 1] = ('<rect x="%d" y="%d" width="%.1f" height="18" rx="3"><title>%s: %s</title></rect>'):format(
      label_w, y + 3, w, esc(r.label), number_text(r.value))
    out[#out + 1] = ('<text class="value" x="%.1f" y="%d">%s</text>'):format(label_w + w + 6, y + 17, number_text(r.value))
  end)
end

local function funnel_svg(rows)
  local first = rows[1] and rows[1].value or 0
  return chart_svg("funnel", rows, 34, 110, function(out, r, y, w, label_w, bar_w)
    local pct = first > 0 and ("%d%%"):format(math.floor(r.value * 100 / first + 0.5)) or "-"
    out[#out + 1] = ('<text x="%d" y="%d" text-anchor="end">%s</text>'):format(label_w - 8, y + 21, esc(r.label))
    out[#out + 1] = ('<rect x="%.1f" y="%d" width="%.1f" height="26" rx="4"><title>%s: %s</title></rect>'):format(
      label_w + (bar_w - w) / 2, y + 3, w, esc(r.label), number_text(r.value))
    out[#out + 1] = ('<text class="value" x="%d" y="%d">%s · %s</text>'):format(
      label_w + bar_w + 8, y + 21, number_text(r.value), pct)
  end)
end

local function table_html(t)
  if type(t) ~= "table" or type(t.rows) ~= "table" then
    error("ashby.report.html: a table section needs { columns = {...}, rows = { {...}, ... } }", 4)
  end
  checker.check("ashby.report table", t, { columns = "table", rows = "table" })
  local out = { "<table>" }
  if t.columns then
    local head = {}
    for _, c in ipairs(t.columns) do head[#head + 1] = "<th dir=\"auto\">" .. esc(c) .. "</th>" end
    out[#out + 1] = "<thead><tr>" .. table.concat(head) .. "</tr></thead>"
  end
  out[#out + 1] = "<tbody>"
  for _, row in ipairs(t.rows) do
    local cells = {}
    for _, v in ipairs(row) do
      local numeric = type(v) == "number"
      cells[#cells + 1] = (numeric and "<td class=\"num\">" or "<td dir=\"auto\">")
        .. esc(numeric and number_text(v) or v) .. "</td>"
    end
    out[#out + 1] = "<tr>" .. table.concat(cells) .. "</tr>"
  end
  out[#out + 1] = "</tbody></table>"
  return table.concat(out, "\n")
end

local style = [[
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2430; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }
h1 { font-size: 1.7rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #e3e6ee; padding-bottom: .3rem; }
.meta { color: #6b7385; font-size: .9rem; }
svg.chart { display: block; max-width: 100%; height: auto; font-size: 13px; }
svg.chart rect { fill: #5b6cf0; } svg.funnel rect { fill: #2fa38a; }
svg.chart text { fill: #1f2430; } svg.chart text.value { fill: #6b7385; }
table { border-collapse: collapse; margin: .5rem 0; } th, td { padding: .3rem .8rem; border-bottom: 1px solid #e3e6ee; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
]]

--- The HTML text of a report (what `html` writes).
function report.render(spec)
  if type(spec) ~= "table" then error("ashby.report.html: expects { title = ..., sections = { ... } }", 3) end
  checker.check("ashby.report", spec, spec_types)
  local title = tostring(spec.title or "Report")
  local out = {
    "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    "<title>" .. esc(title) .. "</title>", "<style>" .. style .. "</style>", "</head>", "<body>",
    '<h1 dir="auto">' .. esc(title) .. "</h1>",
  }
  if spec.subtitle then out[#out + 1] = '<p class="meta" dir="auto">' .. esc(spec.subtitle) .. "</p>" end
  for i, section in ipairs(spec.sections or {}) do
    if type(section) ~= "table" then error(("ashby.report.html: section %d must be a table"):format(i), 3) end
    checker.check(("ashby.report section %d"):format(i), section, section_types)
    out[#out + 1] = '<section>'
    if section.title then out[#out + 1] = '<h2 dir="auto">' .. esc(section.title) .. "</h2>" end
    if section.text then out[#out + 1] = '<p dir="auto">' .. esc(section.text) .. "</p>" end
    if section.bar then out[#out + 1] = bar_svg(rows_of(section.bar, section, "bar")) end
    if section.funnel then out[#out + 1] = funnel_svg(rows_of(section.funnel, section, "funnel")) end
    if section.table then out[#out + 1] = table_html(section.table) end
    out[#out + 1] = "</section>"
  end
  out[#out + 1] = "</body>"
  out[#out + 1] = "</html>"
  return table.concat(out, "\n") .. "\n"
end

--- Writes the report to `path` and returns the path.
function report.html(path, spec)
  if type(path) ~= "string" or path == "" then error("ashby.report.html: argument 1 must be a file path", 2) end
  local text = report.render(spec)
  if type(io) ~= "table" or type(rawget(io, "open")) ~= "function" then
    error("ashby.report.html needs to write a file, which a sandboxed run cannot: print(ashby.report.render(spec)) writes the HTML to standard output instead", 2)
  end
  local f, err = io.open(path, "w")
  if not f then error("ashby.report.html: " .. tostring(err), 2) end
  f:write(text)
  f:close()
  return path
end

return report
