-- luassert's common assertion forms for `ashby-lua test` (stdlib/spec.lua):
-- `assert.are.equal`, `are.same` with a readable diff of tables, `is_true`,
-- `truthy`/`falsy`, `has_error`/`has_no.errors`, `matches`, `near`, negation
-- with `not`/`no`. A failed assertion raises a `Failure`, which the runner
-- reports as a failure (not an error), at the spec file's line.
local pretty = require("ashby.pretty")
local A = {}

local function show(v)
  return ("(%s) %s"):format(type(v), pretty.format(v, { color = false }))
end

-- An assertion that did not hold: a failure, not an error.
local Failure = {}
A.Failure = Failure
Failure.__index = Failure
Failure.__tostring = function(f) return f.message end

-- The frame of the spec file that called into the runner (an assertion), as "file:line".
local function caller_in(source)
  for level = 3, 40 do
    local info = debug.getinfo(level, "Sl")
    if not info then break end
    if info.source == source and info.currentline > 0 then
      return ("%s:%d"):format(source:sub(2), info.currentline)
    end
  end
end


-- "@path" of the spec file being run, for failure locations (`A.source`).
local function fail(message)
  error(setmetatable({ message = message, where = A.source and caller_in(A.source) }, Failure), 0)
end

-- Deep comparison: nil when equal, else the lines of a readable diff of tables.
local function differences(expected, actual, path, out, seen)
  if rawequal(expected, actual) then return out end
  if type(expected) ~= "table" or type(actual) ~= "table" then
    if expected ~= actual then
      out[#out + 1] = ("  %s: expected %s, got %s"):format(path == "" and "(value)" or path, show(expected), show(actual))
    end
    return out
  end
  seen[expected] = seen[expected] or {}
  if seen[expected][actual] then return out end
  seen[expected][actual] = true
  local function key_path(k)
    if type(k) == "string" and k:match("^[%a_][%w_]*$") then return path .. "." .. k end
    return ("%s[%s]"):format(path, pretty.format(k, { color = false }))
  end
  for k, v in pairs(expected) do
    if actual[k] == nil then
      out[#out + 1] = ("  %s: expected %s, missing"):format(key_path(k), show(v))
    else
      differences(v, actual[k], key_path(k), out, seen)
    end
  end
  for k, v in pairs(actual) do
    if expected[k] == nil then out[#out + 1] = ("  %s: not expected, got %s"):format(key_path(k), show(v)) end
  end
  return out
end

--- The differences, at most `limit` lines (40) and a line saying how many more.
function A.differences(a, b, limit)
  local out = differences(a, b, "", {}, {})
  table.sort(out)
  limit = limit or 40
  if #out > limit then
    local more = #out - limit
    for i = #out, limit + 1, -1 do out[i] = nil end
    out[#out + 1] = ("  ... and %d more"):format(more)
  end
  return out
end

-- Each assertion: a check giving (held, message when it holds, message when negated and it held).
local checks = {}

-- For two long texts that differ: where, with a little of each around it.
local function first_difference(expected, actual)
  if type(expected) ~= "string" or type(actual) ~= "string" or #expected + #actual < 80 then return "" end
  local i = 1
  while i <= #expected and expected:byte(i) == actual:byte(i) do i = i + 1 end
  local from = math.max(1, i - 20)
  return ("\nFirst difference at byte %d:\n  expected ...%q\n  got      ...%q"):format(
    i, expected:sub(from, i + 20), actual:sub(from, i + 20))
end

function checks.equal(expected, actual)
  return expected == actual,
    ("Expected objects to be equal.\nPassed in:\n%s\nExpected:\n%s%s"):format(
      show(actual), show(expected), first_difference(expected, actual)),
    ("Expected objects not to be equal.\nPassed in:\n%s\nDid not expect:\n%s"):format(show(actual), show(expected))
end

function checks.same(expected, actual)
  local diff = A.differences(expected, actual)
  return #diff == 0,
    ("Expected objects to be the same.\nPassed in:\n%s\nExpected:\n%s\nDifferences:\n%s"):format(
      show(actual), show(expected), table.concat(diff, "\n")),
    ("Expected objects not to be the same.\nPassed in:\n%s"):format(show(actual))
end

local function is(predicate, what)
  return function(value)
    return predicate(value), ("Expected %s to be %s"):format(show(value), what),
      ("Expected %s not to be %s"):format(show(value), what)
  end
end
checks["true"] = is(function(v) return v == true end, "true")
checks["false"] = is(function(v) return v == false end, "false")
checks["nil"] = is(function(v) return v == nil end, "nil")
checks.truthy = is(function(v) return v ~= nil and v ~= false end, "truthy")
checks.falsy = is(function(v) return v == nil or v == false end, "falsy")
for _, kind in ipairs({ "table", "string", "number", "function", "boolean", "userdata", "thread" }) do
  checks[kind] = is(function(v) return type(v) == kind end, "a " .. kind)
end

function checks.error(fn, expected)
  if type(fn) ~= "function" then fail("assert.has_error expects a function, got a " .. type(fn)) end
  local ok, err = pcall(fn)
  if ok then
    return false, "Expected an error, but the function returned",
      "Expected no error"
  end
  if expected == nil then
    return true, nil, ("Expected no error, but it raised:\n%s"):format(tostring(err))
  end
  -- As luassert: a string error is compared without the "file:line: " Lua put before it.
  local bare = type(err) == "string" and err:gsub("^[^\n]-:%d+: ", "", 1) or err
  local held = err == expected or bare == expected
    or (type(err) == "table" and type(expected) == "table" and #A.differences(expected, err) == 0)
  return held, ("Expected the error:\n%s\nGot:\n%s"):format(show(expected), show(err)),
    ("Expected an error other than:\n%s"):format(show(expected))
end

function checks.matches(pattern, text, init, plain)
  local held = type(text) == "string" and text:find(pattern, init, plain) ~= nil
  return held, ("Expected %s to match the pattern %q"):format(show(text), pattern),
    ("Expected %s not to match the pattern %q"):format(show(text), pattern)
end

function checks.near(expected, actual, tolerance)
  if type(expected) ~= "number" or type(tolerance) ~= "number" then
    fail("assert.near expects (expected, actual, tolerance), three numbers")
  end
  local held = type(actual) == "number" and math.abs(expected - actual) <= tolerance
  return held, ("Expected %s to be within %s of %s"):format(show(actual), tostring(tolerance), tostring(expected)),
    ("Expected %s not to be within %s of %s"):format(show(actual), tostring(tolerance), tostring(expected))
end

-- Where each assertion takes a message of the caller's.
local message_at = { equal = 3, same = 3, error = 3, near = 4 }

function checks.fail(message)
  return false, tostring(message or "assert.fail"), tostring(message or "assert.fail")
end

local aliases = {
  equals = "equal", errors = "error", match = "matches", same = "same", unique = nil,
}
-- Words that only read well (`assert.is.truthy`), and those that negate (`assert.is_not.equal`).
local fillers = { is = true, are = true, has = true, have = true, was = true, does = true, to = true, be = true }
local negations = { ["not"] = true, no = true }

-- `assert.are_not.equal` and `assert.is_not_true` alike: the key's words, split on "_", walk a chain.
local chain
local function step(negated, key)
  local name
  for word in key:gmatch("[^_]+") do
    if negations[word] then
      negated = not negated
    elseif fillers[word] then -- nothing
    elseif checks[word] or aliases[word] then
      name = aliases[word] or word
    else
      return nil
    end
  end
  if not name then return chain(negated) end
  local check = checks[name]
  return function(...)
    local held, message, negated_message = check(...)
    if held == negated then
      local extra = select(message_at[name] or 2, ...)
      local why = negated and negated_message or message
      if type(extra) == "string" and name ~= "matches" then why = extra .. "\n" .. why end
      fail(why)
    end
    return ...
  end
end

function chain(negated)
  return setmetatable({}, {
    __index = function(_, key)
      local found = step(negated, key)
      if found == nil then error(("assert: unknown assertion %q"):format(key), 2) end
      return found
    end,
  })
end

--- busted's `assert`: callable as Lua's own, and a chain of luassert's forms.
A.assert = setmetatable({}, {
  __call = function(_, value, message, ...)
    if not value then fail(message ~= nil and tostring(message) or "assertion failed!") end
    return value, message, ...
  end,
  __index = function(_, key)
    local found = step(false, key)
    if found == nil then error(("assert: unknown assertion %q"):format(key), 2) end
    return found
  end,
})

A.caller_in = caller_in

return A
