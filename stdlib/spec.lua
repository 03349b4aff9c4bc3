-- `ashby-lua test`'s runner: busted's describe/it/hooks and luassert's common
-- assertion forms, so a busted user feels at home. One spec file runs in one
-- VM; before each `it` the host gives the test a fresh fake Ashby (`hooks.begin`).
-- Where busted's behaviour is settled it is followed: describe bodies run while
-- the file loads, `it` bodies afterwards; setup/teardown once per block;
-- before_each outer first, after_each inner first; `it` without a body is pending.
local pretty = require("ashby.pretty")
local asserts = require("ashby.assert")
local Failure, caller_in = asserts.Failure, asserts.caller_in
local spec = {}
spec.assert, spec.differences = asserts.assert, asserts.differences

local current_source -- "@path" of the spec file being run

-- A `pending("why")` inside a test.
local Pending = {}
Pending.__tostring = function(p) return p.message end

-- An error raised in a spec, with where it was raised (its own message did not say).
local Located = {}

-- The tree of one file: blocks (describe) holding tests (it) and hooks.
local function new_block(name, parent, line)
  return {
    name = name, parent = parent, line = line, items = {}, setup = {}, teardown = {},
    before_each = {}, after_each = {},
  }
end

--- Runs one spec file. `hooks.begin(fixture)` readies a test's fake Ashby,
--- `hooks.now()` is a monotonic clock; `filter` a Lua pattern matched on full names.
--- Returns one record per test: name, line, status (success, failure, error,
--- pending), message, time.
function spec.run(path, hooks, filter)
  local root = new_block(nil, nil, 0)
  local block = root
  spec.block = root
  local results = {}
  local running = false
  current_source = "@" .. path
  asserts.source = current_source

  local function full_name(b, name)
    local parts = { name }
    while b and b.name do
      table.insert(parts, 1, b.name)
      b = b.parent
    end
    return table.concat(parts, " ")
  end

  local function line_of(level)
    local info = debug.getinfo(level, "Sl")
    return info and info.source == current_source and info.currentline or 0
  end

  local function record(name, line, status, message, time)
    results[#results + 1] = { name = name, line = line, status = status, message = message, time = time or 0 }
  end

  -- An error's text, and where in the spec file it came from.
  -- An error value as text: a table without __tostring pretty-printed, nil as busted says it.
  local function text_of(err)
    if err == nil then return "Nil error" end
    local text = tostring(err)
    if type(err) == "table" and text:match("^table: ") then return pretty.format(err, { color = false }) end
    return text
  end

  local function describe_error(err)
    if getmetatable(err) == Failure then
      return "failure", (err.where and err.where .. ": " or "") .. err.message
    end
    if getmetatable(err) == Pending then return "pending", err.message end
    if getmetatable(err) == Located then return "error", err.where .. ": " .. text_of(err.error) end
    return "error", text_of(err)
  end

  local function handler(err)
    if getmetatable(err) == Failure or getmetatable(err) == Pending then return err end
    -- Where in the spec file it happened, unless the message says so already (Lua's and the host's do).
    local where = caller_in(current_source)
    if where and not text_of(err):find(path, 1, true) then return setmetatable({ where = where, error = err }, Located) end
    return err
  end

  local function guarded(fn, ...)
    return xpcall(fn, handler, ...)
  end

  local function add(kind, name, fn, level)
    if running then error(("%s() inside a test: declare tests while the file loads"):format(kind), 3) end
    block.items[#block.items + 1] = { kind = kind, name = name, fn = fn, line = line_of(level or 4), block = block }
  end

  local env = {}
  local function not_in_test(what)
    if running then error(("%s() inside a test: declare blocks and hooks while the file loads"):format(what), 3) end
  end
  function env.describe(name, fn)
    not_in_test("describe")
    if type(name) ~= "string" or type(fn) ~= "function" then
      error("describe(name, function) expects a name and a function", 2)
    end
    local child = new_block(name, block, line_of(3))
    block.items[#block.items + 1] = { kind = "describe", block = child }
    local outer = block
    block, spec.block = child, child
    local ok, err = guarded(fn)
    block, spec.block = outer, outer
    if not ok then
      local _, message = describe_error(err)
      child.broken = message
    end
  end
  env.context = env.describe
  function env.it(name, fn)
    if type(name) ~= "string" then error("it(name, function) expects a name", 2) end
    add(fn == nil and "pending" or "it", name, fn)
  end
  env.test, env.spec = env.it, env.it
  function env.pending(name, fn)
    if running then error(setmetatable({ message = tostring(name or "pending") }, Pending), 0) end
    add("pending", name, fn)
  end
  for _, hook in ipairs({ "setup", "teardown", "before_each", "after_each" }) do
    env[hook] = function(fn)
      not_in_test(hook)
      if type(fn) ~= "function" then error(hook .. "(function) expects a function", 2) end
      table.insert(block[hook], fn)
    end
  end
  env.lazy_setup, env.strict_setup = env.setup, env.setup
  env.lazy_teardown, env.strict_teardown = env.teardown, env.teardown
  env.assert = spec.assert
  local finals
  --- busted's finally: runs after the current test, whatever happened.
  function env.finally(fn)
    if not spec.in_test or type(fn) ~= "function" then error("finally(function) goes inside a test", 2) end
    finals[#finals + 1] = fn
  end
  for k, v in pairs(env) do _G[k] = v end

  -- Load: a syntax error, or an error outside any `it`, is the file's error.
  local chunk, syntax = loadfile(path)
  if not chunk then
    record(path, 0, "error", syntax)
    return results
  end
  local ok, err = guarded(chunk)
  if not ok then
    local _, message = describe_error(err)
    record(path, 0, "error", message)
  end

  local function chain_of(b)
    local list = {}
    while b do
      table.insert(list, 1, b)
      b = b.parent
    end
    return list
  end

  local function fixture_of(b)
    while b do
      if b.fixture ~= nil then return b.fixture end
      b = b.parent
    end
  end

  local function wanted(item)
    if item.kind == "describe" and item.block.broken then return true end
    if item.kind == "describe" then
      for _, child in ipairs(item.block.items) do if wanted(child) then return true end end
      return false
    end
    return filter == nil or full_name(item.block, item.name):find(filter) ~= nil
  end

  local function run_test(item)
    local name = full_name(item.block, item.name)
    if item.kind == "pending" then
      record(name, item.line, "pending", "")
      return
    end
    local started = hooks.now()
    local status, message = "success", nil
    local function note(ok_, err_)
      if not ok_ and status == "success" then status, message = describe_error(err_) end
    end
    finals = {}
    -- A fixture that does not make a world fails this test, not the file.
    local ok_, err_ = guarded(hooks.begin, fixture_of(item.block))
    note(ok_, err_)
    spec.in_test = true
    local chain_ = chain_of(item.block)
    local reached = 0  -- the deepest block whose before_each ran: after_each from there outward, as busted
    for depth, b in ipairs(chain_) do
      if not ok_ then break end
      for _, fn in ipairs(b.before_each) do
        if ok_ then
          local done, err_ = guarded(fn)
          note(done, err_)
          ok_ = done
        end
      end
      reached = depth
    end
    if ok_ then note(guarded(item.fn)) end
    for _, fn in ipairs(finals) do note(guarded(fn)) end
    for i = reached, 1, -1 do
      for _, fn in ipairs(chain_[i].after_each) do note(guarded(fn)) end
    end
    spec.in_test = false
    hooks.finish()
    record(name, item.line, status, message, hooks.now() - started)
  end

  local function run_block(b)
    if b.broken then
      record(full_name(b.parent, b.name), b.line, "error", b.broken)
      return
    end
    local live = {}
    for _, item in ipairs(b.items) do if wanted(item) then live[#live + 1] = item end end
    if #live == 0 then return end
    spec.block = b
    local set_up = true
    for _, fn in ipairs(b.setup) do
      local done, err_ = guarded(fn)
      if not done then
        local _, message = describe_error(err_)
        record(b.name and full_name(b.parent, b.name) or path, b.line, "error", "setup: " .. message)
        set_up = false
        break
      end
    end
    for _, item in ipairs(set_up and live or {}) do
      if item.kind == "describe" then run_block(item.block) else run_test(item) end
    end
    for _, fn in ipairs(b.teardown) do
      local done, err_ = guarded(fn)
      if not done then
        local _, message = describe_error(err_)
        record(b.name and full_name(b.parent, b.name) or path, b.line, "error", "teardown: " .. message)
      end
    end
  end

  running = true
  if ok then run_block(root) end
  return results
end

--- `ashby.test`, over the host's primitives for the current test's fake Ashby
--- (`load`, `writes`, `run`, `fault`, `parse_time`).
function spec.test_api(host)
  local clock = require("ashby.clock")
  local test = {}
  --- The fake's world: a table (jobs, candidates, applications, stages, users, sources,
  --- as Ashby spells them) or a JSON file. Outside a test it holds for the block's tests.
  function test.fixture(value)
    if type(value) ~= "table" and type(value) ~= "string" then
      error("ashby.test.fixture expects a table or a JSON file's path, got a " .. type(value), 2)
    end
    if spec.in_test then
      host.load(value, clock.frozen(), true)  -- the data only: this test's writes and faults stay
    else
      spec.block.fixture = value
    end
  end
  --- Every write this test made so far, scripts it ran included: { endpoint = ..., params = {...} }.
  function test.writes() return host.writes() end
  --- Runs a script as `ashby-lua run` would, against this test's fake, its output captured.
  --- `options.event`: a webhook body as Ashby POSTs it ({ action = ..., data = ... }): the script
  --- runs as a hook answering it (`ashby.event`, `...`). `options.feed`: `ashby.changes` keeps its
  --- place under this name (`run --feed`), for the rest of the test.
  function test.run(path, args, options)
    if type(path) ~= "string" then error("ashby.test.run expects a script's path", 2) end
    if args ~= nil and type(args) ~= "table" then error("ashby.test.run: args must be a list of strings", 2) end
    if options ~= nil and type(options) ~= "table" then error("ashby.test.run: options must be a table, like { event = {...} }", 2) end
    local event = options and options.event
    if event ~= nil and (type(event) ~= "table" or type(event.action) ~= "string") then
      error("ashby.test.run: options.event must be a webhook body, like { action = \"applicationSubmit\", data = {...} }", 2)
    end
    local feed = options and options.feed
    if feed ~= nil and type(feed) ~= "string" then error("ashby.test.run: options.feed must be a name", 2) end
    local list = {}
    for i, a in ipairs(args or {}) do list[i] = tostring(a) end
    return host.run(path, list, clock.frozen(), event, feed)
  end
  --- Latency, 429s, 5xx or resets for the rest of this test.
  function test.fault(options)
    if type(options) ~= "table" then error("ashby.test.fault expects a table, like { kind = \"429\", count = 2 }", 2) end
    host.fault(options)
  end
  --- Answers the rest of this test from a cassette (`run --record`), scripts it runs included.
  function test.cassette(path)
    if type(path) ~= "string" then error("ashby.test.cassette expects a cassette's path", 2) end
    host.cassette(path)
  end
  --- Freezes os.time, os.date and ashby.util.date at an ISO time or epoch seconds (nil: thaw).
  function test.clock(when)
    if when == nil then return clock.thaw() end
    local seconds = type(when) == "number" and when or host.parse_time(when)
    if not seconds then error(("ashby.test.clock: %q is not an ISO 8601 time"):format(tostring(when)), 2) end
    if seconds ~= seconds or math.abs(seconds) > 253402300799 then  -- NaN, or past the year 9999
      error("ashby.test.clock: the time must be between the years 0 and 9999", 2)
    end
    clock.freeze(seconds)
    return seconds
  end
  return test
end

return spec
