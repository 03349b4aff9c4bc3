-- ashby.progress: one status line on stderr for long work, so a slow script can
-- be told from a stuck one. Redrawn at most ten times a second, cleared when
-- the work is done, and only on a terminal (the host says where: `mode` is
-- "terminal", "summary" -- one line per finished piece of work, for --verbose
-- off a terminal -- or "off"). The script's own output steps aside: the prelude
-- clears the line before `print` and `io.write` write.
-- Available as `ashby.progress{...}` and require("ashby.progress").
local progress = {}

-- What the host provides; tests replace it with `progress.configure`.
local env = {
  mode = "off",
  clock = os.clock,
  columns = function() return 80 end,
  pacing = function() return 0 end,
  write = function(s) io.stderr:write(s) end,
  delay = 0.3, -- work shorter than this never shows a line
}

local active = {} -- open handles, newest last; the line shows the newest
local shown = false
local last_draw = -math.huge

--- Replaces parts of the environment (the host at start; tests with a fake clock and writer).
function progress.configure(t)
  for k, v in pairs(t) do env[k] = v end
  active, shown, last_draw = {}, false, -math.huge
end

--- Clears the line, if one is shown (before other output, and at the end of a run).
function progress.clear()
  if shown then
    env.write("\r\27[K")
    shown = false
  end
end

local function duration(seconds)
  seconds = math.floor(seconds + 0.5)
  if seconds < 60 then return seconds .. "s" end
  if seconds < 3600 then return ("%dm%02ds"):format(seconds // 60, seconds % 60) end
  return ("%dh%02dm"):format(seconds // 3600, seconds % 3600 // 60)
end

local function rate_text(r)
  if r >= 100 then return ("%d/s"):format(math.floor(r + 0.5)) end
  return ("%.1f/s"):format(r)
end

--- The status line for a handle at time `now` (no control characters).
function progress.line(p, now)
  local elapsed = math.max(now - p.started, 1e-9)
  local rate = p.count / elapsed
  local parts = {}
  if p.total then
    local pct = p.total > 0 and math.floor(p.count * 100 / p.total) or 100
    parts[#parts + 1] = ("%d/%d %d%%"):format(p.count, p.total, pct)
    parts[#parts + 1] = rate_text(rate)
    if rate > 0 and p.count < p.total then parts[#parts + 1] = "ETA " .. duration((p.total - p.count) / rate) end
  else
    parts[#parts + 1] = ("%d %s"):format(p.count, p.unit)
    if p.pages then parts[#parts + 1] = ("%d page%s"):format(p.pages, p.pages == 1 and "" or "s") end
    parts[#parts + 1] = rate_text(rate)
  end
  local waiting = env.pacing()
  if waiting > 0 then parts[#parts + 1] = "waiting for the rate budget" end
  -- The figures keep their room; the label gives way (and the end, on a tiny terminal).
  local rest = table.concat(parts, "  ")
  local width = math.max(env.columns() - 1, 10)
  local label = p.label
  local room = math.max(width - #rest - 2, 8)
  if (utf8.len(label) or #label) > room then label = label:sub(1, (utf8.offset(label, room) or room) - 1) .. "…" end
  local text = label .. "  " .. rest
  if (utf8.len(text) or #text) > width then text = text:sub(1, (utf8.offset(text, width + 1) or (width + 1)) - 1) end
  return text
end

local function draw(force)
  if env.mode ~= "terminal" then return end
  local p = active[#active]
  if not p then return end
  local now = env.clock()
  if now - p.started < env.delay then return end
  if not force and now - last_draw < 0.1 then return end
  last_draw = now
  env.write("\r\27[K" .. progress.line(p, now))
  shown = true
end

local Handle = {}
Handle.__index = Handle

--- Counts `n` (default 1) more done, and redraws if a tenth of a second has passed.
function Handle:step(n)
  self.count = self.count + (n or 1)
  draw(false)
end

--- Counts one more page (for paged work).
function Handle:page()
  self.pages = (self.pages or 0) + 1
end

--- Ends the work: the line goes (or, in summary mode, one line says what was done).
function Handle:done()
  if self.finished then return end
  self.finished = true
  for i = #active, 1, -1 do
    if active[i] == self then table.remove(active, i) end
  end
  if env.mode == "summary" and env.clock() - self.started >= env.delay then
    local elapsed = env.clock() - self.started
    local what = self.total and ("%d/%d"):format(self.count, self.total) or ("%d %s"):format(self.count, self.unit)
    env.write(("%s: %s in %s (%s)\n"):format(self.label, what, duration(elapsed), rate_text(self.count / elapsed)))
  end
  if #active == 0 then progress.clear() else draw(true) end
end

--- A handle: `local p = ashby.progress{ total = n, label = "import" }; p:step(); p:done()`.
--- Without `total` the line counts items (`unit`, default "items") and pages.
local checker = require("ashby.options")

function progress.new(opts)
  opts = checker.check("ashby.progress", opts, { total = "integer", label = "string|number", unit = "string" })
  if opts.total ~= nil and (math.type(opts.total) ~= "integer" or opts.total < 0) then
    error("ashby.progress: total must be a whole number of 0 or more", 2)
  end
  local p = setmetatable({
    label = tostring(opts.label or "working"), total = opts.total, unit = tostring(opts.unit or "items"),
    count = 0, started = env.clock(),
  }, Handle)
  active[#active + 1] = p
  return p
end

setmetatable(progress, { __call = function(_, opts) return progress.new(opts) end })

return progress
