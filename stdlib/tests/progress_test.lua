-- Tests for ashby.progress: drawing at most ten times a second, clearing, summaries.
local progress = require("ashby.progress")

local now, out, waiting = 0, {}, 0
local columns = 80
local function setup(mode)
  now, out, waiting = 0, {}, 0
  progress.configure {
    mode = mode, clock = function() return now end, write = function(s) out[#out + 1] = s end,
    columns = function() return columns end, pacing = function() return waiting end, delay = 0.3,
  }
end

-- Terminal: nothing for quick work, then at most one draw per tenth of a second.
setup("terminal")
local p = progress.new { total = 300, label = "import" }
p:step()
assert(#out == 0, "no line before the delay")
now = 0.5
for _ = 1, 50 do p:step() end -- 50 steps at one instant: one draw, at the first
assert(#out == 1, "one draw, got " .. #out)
assert(out[1] == "\r\27[Kimport  2/300 0%  4.0/s  ETA 1m15s", out[1])
now = 0.55
p:step()
assert(#out == 1, "throttled within 0.1 s")
now = 0.7
waiting = 3
p:step()
assert(#out == 2 and out[2]:find("waiting for the rate budget", 1, true), out[2])
p:done()
assert(out[#out] == "\r\27[K", "cleared at the end")
progress.clear()
assert(out[#out - 1] ~= "\r\27[K" or #out == 3, "clearing twice writes nothing more")

-- The line fits the terminal: the label gives way to the figures.
columns = 60
setup("terminal")
local long = progress.new { total = 10, label = string.rep("é", 200) }
now = 1
long:step()
assert(utf8.len(out[1]) - 4 <= 59, "fits 60 columns")
assert(out[1]:find("1/10 10%", 1, true), out[1])
long:done()
columns = 80

-- Paged work without a total counts items and pages.
setup("terminal")
local pages = progress.new { label = "candidate.list" }
now = 1
pages:page()
pages:step(100)
assert(out[1] == "\r\27[Kcandidate.list  100 items  1 page  100/s", out[1])
pages:done()

-- Summary mode (--verbose off a terminal): no live line, one line at the end.
setup("summary")
local s = progress.new { total = 4, label = "sync" }
now = 2
for _ = 1, 4 do s:step() end
assert(#out == 0)
s:done()
assert(out[1] == "sync: 4/4 in 2s (2.0/s)\n", out[1])

-- Off: nothing at all.
setup("off")
local o = progress.new { total = 2 }
now = 5
o:step(); o:step(); o:done()
assert(#out == 0)

-- Bad arguments.
assert(not pcall(progress.new, { total = -1 }))
assert(not pcall(progress.new, { total = 1.5 }))
assert(not pcall(progress.new, "import"))

-- The public handle: ashby.progress{...} (off here: the test VM has no terminal).
local h = ashby.progress { total = 2, label = "mine" }
h:step(); h:step(); h:done()
return "ok"
