-- The Lua half of the `ashby` table: parallel helpers, the pages iterator,
-- help, and the read-only `dry_run` flag. The host runs it once per VM, after
-- registering the Swift functions, as `prelude(ashby, private)`.
local ashby, private = ...

-- The embedded modules compile when first required, not at every start.
for name, source in pairs(private.module_sources) do
  package.preload[name] = function(...)
    return assert(load(source, "=" .. name, "t"))(...)
  end
end

local spawn, wait = ashby.spawn, ashby.wait

-- Levenshtein distance, for "did you mean".
local function distance(a, b)
  if #a > 64 or #b > 64 then return math.huge end
  local row = {}
  for j = 0, #b do row[j] = j end
  for i = 1, #a do
    local prev, ca = row[0], a:byte(i)
    row[0] = i
    for j = 1, #b do
      local cur = row[j]
      row[j] = math.min(row[j] + 1, row[j - 1] + 1, prev + (ca == b:byte(j) and 0 or 1))
      prev = cur
    end
  end
  return row[#b]
end

-- One checker for every option table of the library (ashby.map, ashby.changes,
-- ashby.progress, ashby.chart.*, ashby.report and its sections, ashby.pretty):
-- an unknown key or a wrong type is an `argument` error at the script's line,
-- with the nearest name, rather than an option silently ignored. The modules
-- reach it as require("ashby.options").
local raise_argument = private.argument_error
local function argument_error(fname, parameter, message)
  raise_argument((fname:gsub("^ashby%.", "")), parameter, message)
end
local options_checker = {}

--- Checks `opts` (nil: none) against `spec` (key -> "string", "integer", "number",
--- "boolean", "function", "table", or several joined by "|", or "any"); returns opts or {}.
function options_checker.check(fname, opts, spec)
  if opts == nil then return {} end
  if type(opts) ~= "table" then
    argument_error(fname, "options", ("the options must be a table, got %s"):format(type(opts)))
  end
  for key, value in pairs(opts) do
    local want = type(key) == "string" and spec[key] or nil
    if want == nil then
      local names = {}
      for name in pairs(spec) do names[#names + 1] = name end
      table.sort(names)
      local shown = type(key) == "string" and key or ("a " .. type(key) .. " key")
      local best, best_d = nil, 3
      if type(key) == "string" then
        for _, name in ipairs(names) do
          local d = distance(key:lower(), name:lower())
          if d < best_d then best, best_d = name, d end
        end
      end
      argument_error(fname, tostring(key), ("unknown option %s%s; the options are %s"):format(
        shown, best and (" (did you mean " .. best .. "?)") or "", table.concat(names, ", ")))
    end
    if want ~= "any" then
      local got = math.type(value) == "integer" and "integer" or type(value)
      local ok = false
      for kind in want:gmatch("[^|]+") do
        if kind == got or (kind == "number" and got == "integer") then ok = true end
      end
      if not ok then
        argument_error(fname, key, ("option %s must be %s, got %s"):format(key, want:gsub("|", " or "), got))
      end
    end
  end
  return opts
end
package.loaded["ashby.options"] = options_checker

local pack, unpack = table.pack, table.unpack

-- The progress line (ashby.progress), configured on first use; nothing loads
-- when the host says there is nowhere to show it.
local progress_mode = private.progress_mode
local host_clock, host_columns, host_pacing = private.clock, private.columns, private.pacing
local private_unicode = private.unicode
local function progress_module()
  local loaded = package.loaded["ashby.progress"]
  if loaded then return loaded end
  local module = require("ashby.progress")
  module.configure { mode = progress_mode, clock = host_clock, columns = host_columns, pacing = host_pacing }
  return module
end
local function bar(opts)
  if progress_mode == "off" then return nil end
  return progress_module().new(opts)
end

-- On a terminal, the script's own output steps aside for the line.
if progress_mode == "terminal" then
  local function aside()
    local module = package.loaded["ashby.progress"]
    if module then module.clear() end
  end
  local print_ = print
  print = function(...)
    aside()
    return print_(...)
  end
  if type(io) == "table" and type(io.write) == "function" then
    local write = io.write
    io.write = function(...)
      aside()
      return write(...)
    end
  end
  local stdout = type(io) == "table" and io.stdout
  local mt = stdout and getmetatable(stdout)
  if type(mt) == "table" and type(mt.__index) == "table" and type(mt.__index.write) == "function" then
    local write = mt.__index.write
    mt.__index.write = function(f, ...)
      if f == stdout then aside() end
      return write(f, ...)
    end
  end
end

--- Runs each function as a child and returns their first results, in order.
function ashby.all(fns)
  if type(fns) ~= "table" then
    error("ashby.all: expects a list of functions", 2)
  end
  local handles = {}
  for i, fn in ipairs(fns) do
    if type(fn) ~= "function" then
      error(("ashby.all: item %d is a %s, not a function"):format(i, type(fn)), 2)
    end
  end
  local p = bar { total = #fns, label = "ashby.all" }
  for i, fn in ipairs(fns) do
    handles[i] = spawn(p and function()
      local r = pack(fn())
      p:step()
      return unpack(r, 1, r.n)
    end or fn)
  end
  if #handles == 0 then return {} end
  local ok, results = pcall(function() return pack(wait(unpack(handles))) end)
  if p then p:done() end
  if not ok then error(results, 0) end
  results.n = nil
  return results
end

--- Calls fn(item, i) for every item, at most `concurrency` at once; results in input order.
function ashby.map(list, fn, opts)
  if type(list) ~= "table" then error("ashby.map: argument 1 must be a list", 2) end
  if type(fn) ~= "function" then error("ashby.map: argument 2 must be a function", 2) end
  opts = options_checker.check("ashby.map", opts, { concurrency = "integer", label = "string" })
  local concurrency = opts.concurrency or 8
  if math.type(concurrency) ~= "integer" or concurrency < 1 then
    error("ashby.map: concurrency must be a positive integer", 2)
  end
  local n, results, failures, next_index = #list, {}, {}, 0
  local p = bar { total = n, label = opts.label or "ashby.map" }
  local function worker()
    while true do
      next_index = next_index + 1
      local i = next_index
      if i > n then return end
      local ok, value = pcall(fn, list[i], i)
      if ok then results[i] = value else failures[i] = value end
      if p then p:step() end
    end
  end
  local workers = {}
  for w = 1, math.min(concurrency, n) do workers[w] = spawn(worker) end
  local ok, err = true, nil
  if #workers > 0 then ok, err = pcall(wait, unpack(workers)) end
  if p then p:done() end
  if not ok then error(err, 0) end
  for i = 1, n do
    if failures[i] ~= nil then error(failures[i], 0) end
  end
  return results
end

-- What each item of `endpoint` becomes on its way to the script (strict
-- results, below, set it); as it came by default.
local shape_item = function(item) return item end

--- The items of an open page cursor, one page in memory at a time, with a
--- progress bar; `on_resync(reason)` hears (once) that Ashby refused a sync token.
local function items(handle, label, on_resync, endpoint)
  local p = bar { label = label }
  -- A loop that stops early leaves the cursor open; close it with the iterator.
  local guard = setmetatable({}, { __gc = function()
    private.close_pages(handle)
    if p then p:done() end
  end })
  local page, i, told = nil, 0, false
  return function()
    local _ = guard
    if page == nil or i >= #page then
      local resync
      page, resync = private.next_page(handle)
      i = 0
      if resync and not told and on_resync then
        told = true
        on_resync(resync)
      end
      if page == nil or #page == 0 then
        page = {}
        if p then p:done() end
        return nil
      end
      if p then p:page() end
    end
    i = i + 1
    if p then p:step() end
    return shape_item(page[i], endpoint)
  end
end

--- Iterates every item of a paged endpoint, one page in memory at a time.
function ashby.pages(endpoint, params, options)
  return items(private.open_pages(endpoint, params, options), tostring(endpoint), nil, endpoint)
end

local change_options = { on_first = "string", on_resync = "function" }

--- Iterates only what changed at `endpoint` since this job's last successful
--- run (Ashby's syncToken, kept by the scheduler or `run --feed NAME`).
--- options.on_first = "skip": with no token yet, note where things stand
--- and yield nothing; options.on_resync(info): Ashby refused the token, so
--- everything comes again (info.reason is Ashby's code).
function ashby.changes(endpoint, params, options)
  options = options_checker.check("ashby.changes", options, change_options)
  local on_first, on_resync = options.on_first or "run", options.on_resync
  if on_first ~= "run" and on_first ~= "skip" then
    argument_error("ashby.changes", "on_first", 'on_first must be "run" (the default: yield everything) or "skip"')
  end
  local handle, first = private.open_changes(endpoint, params)
  if first and on_first == "skip" then
    while private.next_page(handle) do end  -- to the end: the token is where things stand now
    return function() return nil end
  end
  return items(handle, tostring(endpoint) .. " changes", on_resync and function(reason)
    on_resync { endpoint = endpoint, reason = reason }
  end, endpoint)
end


-- Strict results: a result table raises for a field its object does not have
-- ("Application has no field 'currentStage' (did you mean 'currentInterviewStage'?)"),
-- where a typo would otherwise be a silent nil. A field the object has but this
-- answer left out is nil, and a field the answer has always works (the table
-- itself is untouched: rawget, pairs, ashby.json.encode and the pretty printer
-- see what Ashby sent). Objects and their fields come from Ashby's OpenAPI
-- description, through the host, on first use.
if private.strict_results then
  local array_mt = getmetatable(ashby.json.array {})
  local result_object, object_fields = private.result_object, private.object_fields
  local known = { dry_run = true }  -- on every dry-run stand-in
  local metatables = {}  -- object name -> its metatable, or false for one that is open

  -- Whether the letters of `short` stand in `long` in order ("currentstage" in
  -- "currentinterviewstage"): a name shortened by words.
  local function within(short, long)
    local at = 1
    for i = 1, #short do
      at = long:find(short:sub(i, i), at, true)
      if not at then return false end
      at = at + 1
    end
    return true
  end

  -- The field meant: a near spelling first, else the shortest that holds the key's letters.
  local function nearest(key, fields, t)
    local lower = key:lower()
    local best, best_d, held = nil, 3, nil
    local function consider(k)
      if type(k) == "string" then
        local name = k:lower()
        local d = distance(lower, name)
        if d < best_d or (d == best_d and best and k < best) then best, best_d = k, d end
        if #lower >= 4 and within(lower, name) and (held == nil or #k < #held or (#k == #held and k < held)) then
          held = k
        end
      end
    end
    for k in pairs(fields) do consider(k) end
    for k in next, t do consider(k) end
    return best or held
  end

  local function metatable_of(name)
    local mt = metatables[name]
    if mt == nil then
      local fields = object_fields(name)
      mt = false
      if fields then
        mt = {
          __name = name,
          -- Only absent keys come here; number keys (ipairs, t[1]) stay nil.
          __index = function(t, key)
            if type(key) ~= "string" or fields[key] ~= nil or known[key] then return nil end
            local best = nearest(key, fields, t)
            local shown = #key > 60 and key:sub(1, 60) .. "..." or key
            error(name .. " has no field '" .. shown .. "'" .. (best and (" (did you mean '" .. best .. "'?)") or ""), 2)
          end,
          fields = fields,
        }
      end
      metatables[name] = mt
    end
    return mt
  end

  --- Gives `value` (an object, or a list of them) and what it holds the
  --- metatables of `name`'s object; tables that have a metatable are left alone.
  local function shape(value, name)
    if type(value) ~= "table" or name == nil then return value end
    local mt = getmetatable(value)
    if mt == array_mt then
      for i = 1, rawlen(value) do shape(rawget(value, i), name) end
    elseif mt == nil then
      mt = metatable_of(name)
      if mt then
        setmetatable(value, mt)
        local fields = mt.fields
        for k, v in next, value do
          local child = fields[k]
          if child and type(v) == "table" then shape(v, child) end
        end
      end
    end
    return value
  end

  -- Each wrapper is a C closure (`after`): a Lua one would hide the script's
  -- line from errors when the script tail-calls (`return ashby.get_job(id)`).
  local after = private.after
  local objects = {}  -- endpoint -> the object its results hold, or false
  local function object_of(endpoint)
    if type(endpoint) ~= "string" then return nil end
    local object = objects[endpoint]
    if object == nil then
      object = result_object(endpoint) or false
      objects[endpoint] = object
    end
    return object or nil
  end
  ashby.call = after(ashby.call, function(results, endpoint)
    return shape(results, object_of(endpoint))
  end)
  for action, object in pairs(private.action_results) do
    ashby[action] = after(ashby[action], function(result) return shape(result, object) end)
  end
  shape_item = function(item, endpoint) return shape(item, object_of(endpoint)) end

  --- A table from elsewhere (a webhook's data, JSON from a file), as strict as a result.
  function ashby.object(value, name)
    if type(value) ~= "table" then error("ashby.object: argument 1 must be a table", 2) end
    if type(name) ~= "string" or object_fields(name) == nil and not private.is_object(name) then
      error("ashby.object: " .. tostring(name) .. " is not an Ashby object; ashby.help(\"objects\") lists them", 2)
    end
    return shape(value, name)
  end
else
  function ashby.object(value)
    if type(value) ~= "table" then error("ashby.object: argument 1 must be a table", 2) end
    return value
  end
end

local names
--- The name of every function and module of the library (`count_by` is "util.count_by"), the
--- modules that load on first use loaded first; made once, when help is first asked for by value.
local function library_names()
  if names then return names end
  names = {}
  local _ = ashby.util, ashby.chart, ashby.report, ashby.progress, ashby.csv
  local function walk(t, prefix, seen)
    for k, v in next, t do
      if type(k) == "string" and (type(v) == "function" or type(v) == "table") and not seen[v] then
        seen[v] = true
        names[v] = prefix .. k
        if type(v) == "table" then walk(v, prefix .. k .. ".", seen) end
      end
    end
  end
  walk(ashby, "", { [ashby] = true })
  return names
end

--- Prints what a function (or a module) takes, calls and returns, with an example.
function ashby.help(what)
  local name = what
  if type(what) == "function" or type(what) == "table" then name = library_names()[what] end
  if type(name) == "string" then name = name:gsub("^ashby%.", "") end
  print(private.help_text(name))
end

--- True for the error tables that ashby functions raise.
ashby.is_error = private.is_error

--- Makes reading an absent field of `t` an error that names the nearest field,
--- so `ashby.getjob(...)` says what was meant instead of "attempt to call a nil value".
local function strict(t, name, extra, suggest)
  local mt = getmetatable(t) or {}
  local index = mt.__index
  mt.__index = function(self, key)
    if index then
      local value = index(self, key)
      if value ~= nil then return value end
    end
    for _, k in ipairs(extra or {}) do
      if k == key then return nil end  -- a known field that may be nil (ashby.event outside a hook)
    end
    local best, best_d = nil, 3
    if type(key) == "string" then
      for k in next, self do
        if type(k) == "string" then
          local d = distance(key:lower(), k:lower())
          if d < best_d then best, best_d = k, d end
        end
      end
      for _, k in ipairs(extra or {}) do
        local d = distance(key:lower(), k:lower())
        if d < best_d then best, best_d = k, d end
      end
    end
    local shown = type(key) == "string" and ("'" .. (#key > 60 and key:sub(1, 60) .. "..." or key) .. "'")
      or ("a " .. type(key) .. " key")
    local advice = not best and suggest and type(key) == "string" and suggest(key)
    local hint = best and (" (did you mean " .. name .. "." .. best .. "?)") or advice and (" (" .. advice .. ")") or ""
    error(name .. " has no field " .. shown .. hint, 2)
  end
  return setmetatable(t, mt)
end

local dry_run, event = private.dry_run, private.event
setmetatable(ashby, {
  __index = function(_, key)
    if key == "dry_run" then return dry_run end
    if key == "event" then return event end
  end,
  __newindex = function(t, key, value)
    if key == "dry_run" or key == "event" then
      error("ashby." .. key .. " is read-only", 2)
    end
    rawset(t, key, value)
  end,
})
-- `ashby.util` loads on first use.
local index = getmetatable(ashby).__index
getmetatable(ashby).__index = function(t, key)
  if key == "progress" then
    local module = progress_module()
    rawset(t, "progress", module)
    return module
  end
  if key == "chart" then
    local module = require("ashby.chart")
    module.configure { unicode = private_unicode, columns = host_columns }
    rawset(t, "chart", module)
    return module
  end
  if key == "csv" then
    local module = require("ashby.csv")
    rawset(t, "csv", module)
    return module
  end
  if key == "report" then
    local module = require("ashby.report")
    rawset(t, "report", module)
    return module
  end
  if key == "util" then
    local util = strict(require("ashby.util"), "ashby.util")
    strict(util.date, "ashby.util.date")
    rawset(t, "util", util)
    return util
  end
  return index(t, key)
end
strict(ashby, "ashby", { "dry_run", "event", "util", "progress", "chart", "report", "csv" }, private.name_hint)

return ashby
