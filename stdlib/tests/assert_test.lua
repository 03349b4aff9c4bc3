-- Tests for ashby.assert (luassert's forms for `ashby-lua test`) and ashby.clock.
local A = require("ashby.assert")
local assert_ = A.assert

-- A passing form returns; a failing one raises a Failure with the message.
local function fails(fn, pattern)
  local ok, err = pcall(fn)
  assert(not ok, "expected a failure")
  assert(getmetatable(err) == A.Failure, "a Failure, not an error: " .. tostring(err))
  assert(err.message:find(pattern, 1, true), ("message %q lacks %q"):format(err.message, pattern))
end

assert_.are.equal(2, 1 + 1)
assert_.is_true(true)
assert_.truthy(0)
assert_.falsy(nil)
assert_.are.same({ a = { 1, 2 } }, { a = { 1, 2 } })
assert_.are_not.same({ 1 }, { 2 })
assert_.is_not_nil(false)
assert_.has_error(function() error("boom") end, "boom")  -- the location Lua adds is not compared
assert_.has_no.errors(function() end)
assert_.matches("^Back", "Backend")
assert_.near(1, 1.05, 0.1)
assert_(true, "plain assert")

fails(function() assert_.are.equal(3, 2) end, "Expected objects to be equal.")
fails(function() assert_.are.equal(3, 2, "counts") end, "counts\nExpected objects to be equal.")
fails(function() assert_.are.same({ a = 1 }, { a = 2 }) end, "  .a: expected (number) 1, got (number) 2")
fails(function() assert_.is_true(1) end, "Expected (number) 1 to be true")
fails(function() assert_.has_error(function() end) end, "Expected an error, but the function returned")
fails(function() assert_.has_error(function() error("kaboom") end, "boom") end, "Expected the error")
fails(function() assert_.near(1, 2, 0.5, "close enough") end, "close enough")
fails(function() assert_.near(1, 2) end, "three numbers")
fails(function() assert_.fail("told to") end, "told to")
fails(function() assert_(false, "mine") end, "mine")
assert(not pcall(function() return assert_.is_purple end), "an unknown assertion is an error")

-- Differences: one line per path, capped, cycles survived.
local diff = A.differences({ a = 1, b = { 1, 2 } }, { a = 1, b = { 1, 3 }, c = true })
assert(#diff == 2 and diff[1]:find(".b[2]", 1, true) and diff[2]:find(".c: not expected", 1, true))
local many_a, many_b = {}, {}
for i = 1, 100 do many_a[i], many_b[i] = i, -i end
local capped = A.differences(many_a, many_b)
assert(#capped == 41 and capped[41] == "  ... and 60 more")
local cyclic = {}
cyclic.self = cyclic
assert(#A.differences(cyclic, cyclic) == 0)

-- The clock: frozen, a table still converts, thawed again.
local clock = require("ashby.clock")
clock.freeze(1772355600)  -- 2026-03-01T09:00:00Z
assert(os.time() == 1772355600 and clock.frozen() == 1772355600)
assert(os.date("!%Y-%m-%dT%H:%M:%SZ") == "2026-03-01T09:00:00Z")
assert(require("ashby.util").date.days_between("2026-02-15T09:00:00Z") == 14)
assert(os.time({ year = 2020, month = 1, day = 1, hour = 12 }) ~= 1772355600)
clock.thaw()
assert(clock.frozen() == nil and os.time() > 1772355600 - 86400 * 365 * 10)

return "ok"
