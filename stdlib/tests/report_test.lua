-- Tests for ashby.report: self-contained HTML, every text escaped.
local report = require("ashby.report")

assert(report.escape([[<script>alert("x") & 'y'</script>]]) ==
  "&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;")

local hostile = '<script>alert(1)</script> "Engineer" \u{202E}reganaM'
local html = report.render {
  title = hostile, subtitle = "a & b",
  sections = {
    { title = hostile, text = "<b>not bold</b>" },
    { title = "Jobs", bar = { { label = hostile, value = 3 }, { label = "Design", value = 1 } } },
    { title = "Pipeline", funnel = { { "Applied", 10 }, { "Onsite", 2 } } },
    { table = { columns = { "Job", "Count" }, rows = { { hostile, 3 }, { "Design", 1.5 } } } },
  },
}
assert(not html:find("<script>", 1, true), "no raw script tag")
assert(not html:find("<b>", 1, true))
assert(html:find("&lt;script&gt;alert(1)&lt;/script&gt; &quot;Engineer&quot; \u{202E}reganaM", 1, true))
assert(html:find('<h1 dir="auto">', 1, true), "text follows its own direction")
assert(html:find("Content-Security-Policy", 1, true))
assert(not html:find("https?://"), "no external reference")
assert(not html:find("<script", 1, true) and not html:find("<link", 1, true) and not html:find("<img", 1, true))
local _, rects = html:gsub("<rect ", "")
assert(rects == 4, "two bars and two funnel stages, got " .. rects)
assert(html:find('<td class="num">1.50</td>', 1, true))

local ok, err = pcall(report.render, { sections = { { bar = { { label = "x" } } } } })
assert(not ok and err:find("bar row 1 has no number"), err)
assert(not pcall(report.html, 42, {}))

-- Written to a file.
local path = os.tmpname()
assert(report.html(path, { title = "T" }) == path)
local f = assert(io.open(path))
assert(f:read("a"):find("<title>T</title>", 1, true))
f:close()
os.remove(path)
return "ok"
