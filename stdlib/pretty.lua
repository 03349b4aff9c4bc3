-- Formats Lua values for people: nested tables with sorted keys, sequences
-- first, cycles marked, depth and width limited, optional ANSI colour.
-- The REPL prints with it; scripts can too: require("ashby.pretty").
local pretty = {}

local palette = {
  string = "\27[32m", number = "\27[33m", boolean = "\27[35m", ["nil"] = "\27[90m",
  key = "\27[36m", other = "\27[90m", reset = "\27[0m",
}

local keywords = {}
for word in ([[and break do else elseif end false for function goto if in local nil not or
  repeat return then true until while]]):gmatch("%a+") do keywords[word] = true end

local escapes = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return escapes[c] or ("\\%03d"):format(c:byte())
  end) .. '"'
end

local function is_identifier(k)
  return type(k) == "string" and k:match("^[%a_][%w_]*$") ~= nil and not keywords[k]
end

-- Numbers before strings before the rest; each kind in its natural order.
local function key_order(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then
    if ta == "number" then return true end
    if tb == "number" then return false end
    return ta < tb
  end
  if ta == "number" or ta == "string" then return a < b end
  return tostring(a) < tostring(b)
end

local function visible_length(s)
  return #s:gsub("\27%[[%d;]*m", "")
end

--- Returns `value` as text. Options: depth (4), items (30 per table), width (80 columns), color (false).
local checker = require("ashby.options")

function pretty.format(value, opts)
  opts = checker.check("ashby.pretty.format", opts, { depth = "integer", items = "integer", width = "integer", color = "boolean" })
  local max_depth, max_items = opts.depth or 4, opts.items or 30
  local width, color = opts.width or 80, opts.color
  local path = {}

  local function paint(kind, s)
    if color then return palette[kind] .. s .. palette.reset end
    return s
  end

  local function scalar(v)
    local t = type(v)
    if t == "string" then return paint("string", quote(v)) end
    if t == "number" then return paint("number", tostring(v)) end
    if t == "boolean" or t == "nil" then return paint(t, tostring(v)) end
    return paint("other", tostring(v))
  end

  local function format(v, depth, indent)
    if type(v) ~= "table" then return scalar(v) end
    if path[v] then return paint("other", "<cycle>") end
    if depth >= max_depth then return paint("other", "{…}") end
    path[v] = true
    local parts, n = {}, rawlen(v)
    for i = 1, math.min(n, max_items) do
      parts[#parts + 1] = format(rawget(v, i), depth + 1, indent .. "  ")
    end
    if n > max_items then parts[#parts + 1] = paint("other", ("… %d more"):format(n - max_items)) end
    local keys = {}
    for k in next, v do
      if not (math.type(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
    end
    table.sort(keys, key_order)
    for i, k in ipairs(keys) do
      if i > max_items then
        parts[#parts + 1] = paint("other", ("… %d more keys"):format(#keys - max_items))
        break
      end
      local name = is_identifier(k) and paint("key", k) or "[" .. scalar(k) .. "]"
      parts[#parts + 1] = name .. " = " .. format(rawget(v, k), depth + 1, indent .. "  ")
    end
    path[v] = nil
    if #parts == 0 then return "{}" end
    local inline = "{ " .. table.concat(parts, ", ") .. " }"
    if not inline:find("\n", 1, true) and #indent + visible_length(inline) <= width then return inline end
    local inner = indent .. "  "
    return "{\n" .. inner .. table.concat(parts, ",\n" .. inner) .. "\n" .. indent .. "}"
  end

  return format(value, 0, "")
end

--- Formats each value and joins them with tabs (as `lua` prints results).
function pretty.format_all(opts, ...)
  local out = {}
  for i = 1, select("#", ...) do out[i] = pretty.format((select(i, ...)), opts) end
  return table.concat(out, "\t")
end

return pretty
