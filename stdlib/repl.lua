-- The REPL's Lua half: runs a compiled line and formats its results, and
-- completes names without side effects (raw access only, no metamethods run).
-- Available as require("ashby.repl").
local pretty = require("ashby.pretty")

local repl = {}

--- Runs `chunk`; keeps its first result in `_`; returns the results formatted (or nil).
function repl.run(chunk, color)
  local results = table.pack(chunk())
  if results.n == 0 then return nil end
  _G._ = results[1]
  return pretty.format_all({ color = color }, table.unpack(results, 1, results.n))
end

local keywords = {
  "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if", "in",
  "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while",
}

-- String keys of t, and of its metatable's __index when that is a table.
local function keys_of(t, out, seen)
  seen = seen or {}
  if type(t) ~= "table" or seen[t] then return out end
  seen[t] = true
  for k in next, t do
    if type(k) == "string" then out[k] = true end
  end
  local mt = getmetatable(t)
  if type(mt) == "table" and type(rawget(mt, "__index")) == "table" then
    keys_of(rawget(mt, "__index"), out, seen)
  end
  return out
end

--- Completions for `text` (like `ashby.cr` or `job.ti`), sorted; never calls anything.
function repl.complete(text)
  local head, sep, prefix = text:match("^(.-)([.:]?)([%w_]*)$")
  local scope = _G
  if sep ~= "" then
    for part in head:gmatch("[^.:]+") do
      if type(scope) ~= "table" then return {} end
      scope = rawget(scope, part)
    end
  end
  if type(scope) == "string" then scope = string end
  local names = keys_of(scope, {})
  if sep == "" then
    for _, word in ipairs(keywords) do names[word] = true end
  end
  local out = {}
  for name in pairs(names) do
    if name:sub(1, #prefix) == prefix and name:match("^[%a_][%w_]*$") then
      local value = type(scope) == "table" and rawget(scope, name)
      local suffix = ""
      if sep == "" or sep == "." then
        if type(value) == "table" then suffix = "." elseif type(value) == "function" then suffix = "(" end
      end
      out[#out + 1] = head .. sep .. name .. suffix
    end
  end
  table.sort(out)
  return out
end

--- `:chart [label value]`: the last result as a bar chart (text), for the REPL to print.
function repl.chart(label, value)
  if _G._ == nil then return "(no result to chart yet: evaluate a list of rows first)" end
  return ashby.chart.bar_text(_G._, { label = label, value = value })
end

return repl
