-- Tests for ashby.pretty: layout, order, limits, cycles, colour.
local pretty = require("ashby.pretty")
local format = pretty.format

assert(format(1) == "1")
assert(format(1.5) == "1.5")
assert(format("a\n\"b\"") == [["a\n\"b\""]])
assert(format(nil) == "nil")
assert(format({}) == "{}")
assert(format({ 1, 2, 3 }) == "{ 1, 2, 3 }")
assert(format({ b = 1, a = 2, [1] = "x" }) == [[{ "x", a = 2, b = 1 }]])
assert(format({ ["not an id"] = true, ["end"] = 1 }) == [[{ ["end"] = 1, ["not an id"] = true }]])

-- Nested tables past the depth limit are elided.
assert(format({ a = { b = { c = { d = { e = 1 } } } } }) == "{ a = { b = { c = { d = {…} } } } }")
assert(format({ a = { b = 1 } }, { depth = 1 }) == "{ a = {…} }")

-- Cycles are marked, shared (non-cyclic) tables print in full each time.
local t = { name = "loop" }
t.self = t
assert(format(t) == [[{ name = "loop", self = <cycle> }]])
local shared = { 1 }
assert(format({ shared, shared }) == "{ { 1 }, { 1 } }")

-- Long tables are cut, wide ones break over lines.
local long = {}
for i = 1, 40 do long[i] = i end
assert(format(long, { items = 3 }) == "{ 1, 2, 3, … 37 more }")
local wide = format({ title = string.rep("x", 50), other = string.rep("y", 50) })
assert(wide == '{\n  other = "' .. string.rep("y", 50) .. '",\n  title = "' .. string.rep("x", 50) .. '"\n}')

-- Colour only when asked.
assert(format("s", { color = true }) == "\27[32m\"s\"\27[0m")
assert(not format({ a = "s" }):find("\27", 1, true))

-- Several values, as the REPL prints them.
assert(pretty.format_all({}, 1, "a", nil) == '1\t"a"\tnil')

return "ok"
