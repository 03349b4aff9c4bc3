-- Small helpers recruiting scripts keep rewriting: grouping and counting
-- lists of Ashby objects, and ISO 8601 dates (Ashby's are UTC with `Z`).
-- Available as `ashby.util` and `require("ashby.util")`.
local util = {}

-- A key function from a field name (dotted paths allowed) or a function.
local function keyfn(key)
  if type(key) == "function" then return key end
  if type(key) ~= "string" then error("expected a field name or a function", 3) end
  local path = {}
  for part in key:gmatch("[^.]+") do path[#path + 1] = part end
  return function(item)
    local v = item
    for _, part in ipairs(path) do
      if type(v) ~= "table" then return nil end
      v = v[part]
    end
    return v
  end
end

--- Groups a list into { [key] = { items... } }; items whose key is nil are left out.
function util.group_by(list, key)
  local f, groups = keyfn(key), {}
  for _, item in ipairs(list) do
    local k = f(item)
    if k ~= nil then
      local g = groups[k]
      if not g then
        g = {}
        groups[k] = g
      end
      g[#g + 1] = item
    end
  end
  return groups
end

--- Counts a list by key: { [key] = n }.
function util.count_by(list, key)
  local f, counts = keyfn(key), {}
  for _, item in ipairs(list) do
    local k = f(item)
    if k ~= nil then counts[k] = (counts[k] or 0) + 1 end
  end
  return counts
end

--- Indexes a list by a unique key (default "id"): { [key] = item }; the last one wins.
function util.index_by(list, key)
  local f, index = keyfn(key or "id"), {}
  for _, item in ipairs(list) do
    local k = f(item)
    if k ~= nil then index[k] = item end
  end
  return index
end

--- The keys of a table, sorted (numbers before strings).
function util.sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    local ta, tb = type(a), type(b)
    if ta ~= tb then return ta < tb end
    return a < b
  end)
  return keys
end

local date = {}
util.date = date

-- Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
local function days_from_civil(y, m, d)
  y = m <= 2 and y - 1 or y
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local doy = (153 * (m + (m > 2 and -3 or 9)) + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

local function civil_from_days(z)
  z = z + 719468
  local era = (z >= 0 and z or z - 146096) // 146097
  local doe = z - era * 146097
  local yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
  local mp = (5 * doy + 2) // 153
  local d = doy - (153 * mp + 2) // 5 + 1
  local m = mp + (mp < 10 and 3 or -9)
  return (m <= 2 and y + 1 or y), m, d
end

--- Seconds since the epoch of an ISO 8601 time with `Z` or an offset; nil, message when it is not one.
function date.parse(s)
  if type(s) ~= "string" then return nil, "not a string" end
  local y, mo, d, h, mi, sec, frac, zone =
    s:match("^(%d%d%d%d)-(%d%d)-(%d%d)[Tt ](%d%d):(%d%d):(%d%d)(%.?%d*)(.*)$")
  if not y then
    y, mo, d = s:match("^(%d%d%d%d)-(%d%d)-(%d%d)$")
    if not y then return nil, "not an ISO 8601 time: " .. s end
    h, mi, sec, frac, zone = "0", "0", "0", "", "Z"
  end
  local offset
  if zone == "Z" or zone == "z" then
    offset = 0
  else
    local sign, oh, om = zone:match("^([+-])(%d%d):?(%d%d)$")
    if not sign then return nil, "the time has no zone (add Z or an offset): " .. s end
    offset = (tonumber(oh) * 3600 + tonumber(om) * 60) * (sign == "+" and 1 or -1)
  end
  local days = days_from_civil(tonumber(y), tonumber(mo), tonumber(d))
  local t = days * 86400 + tonumber(h) * 3600 + tonumber(mi) * 60 + tonumber(sec) - offset
  if frac ~= "" and frac ~= "." then t = t + tonumber("0" .. frac) end
  return t
end

--- ISO 8601 UTC (`2026-03-02T15:00:00Z`) of seconds since the epoch (default: now).
function date.format(t)
  t = t or os.time()
  local secs = math.floor(t)
  local days, rest = secs // 86400, secs % 86400
  local y, m, d = civil_from_days(days)
  return ("%04d-%02d-%02dT%02d:%02d:%02dZ"):format(y, m, d, rest // 3600, rest % 3600 // 60, rest % 60)
end

--- Whole days from time a to time b (ISO strings or epoch seconds); b defaults to now.
function date.days_between(a, b)
  local ta = type(a) == "string" and assert(date.parse(a)) or a
  local tb = b == nil and os.time() or (type(b) == "string" and assert(date.parse(b)) or b)
  return (tb - ta) // 86400
end

--- An ISO time `days` days before `from` (default now); negative days go forward.
function date.days_ago(days, from)
  local base = from == nil and os.time() or (type(from) == "string" and assert(date.parse(from)) or from)
  return date.format(base - days * 86400)
end

return util
