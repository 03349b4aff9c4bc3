-- Tests for ashby.util: grouping, counting, indexing and dates.
local util = require("ashby.util")
local date = util.date

local jobs = {
  { id = "a", status = "Open", team = { name = "eng" } },
  { id = "b", status = "Closed", team = { name = "eng" } },
  { id = "c", status = "Open", team = { name = "design" } },
  { id = "d" },
}

local by_status = util.group_by(jobs, "status")
assert(#by_status.Open == 2 and by_status.Open[1].id == "a" and by_status.Open[2].id == "c")
assert(#by_status.Closed == 1 and by_status.Closed[1].id == "b")
assert(by_status[nil] == nil)

local by_team = util.count_by(jobs, "team.name")
assert(by_team.eng == 2 and by_team.design == 1)

local by_length = util.count_by({ "a", "bb", "cc" }, function(s) return #s end)
assert(by_length[1] == 1 and by_length[2] == 2)

local index = util.index_by(jobs)
assert(index.c.status == "Open" and index.d.id == "d")

local keys = util.sorted_keys({ b = 1, a = 2, [2] = 3, [1] = 4 })
assert(keys[1] == 1 and keys[2] == 2 and keys[3] == "a" and keys[4] == "b")

assert(not pcall(util.group_by, jobs, 42))

-- Dates: Ashby's UTC form, offsets, fractions, and bad input.
assert(date.parse("1970-01-01T00:00:00Z") == 0)
assert(date.parse("2026-03-02T15:00:00+01:00") == date.parse("2026-03-02T14:00:00Z"))
assert(date.parse("2026-03-02T15:00:00.500Z") - date.parse("2026-03-02T15:00:00Z") == 0.5)
assert(date.parse("2024-02-29") == date.parse("2024-02-29T00:00:00Z"))
assert(date.format(date.parse("2026-01-30T15:00:00.000Z")) == "2026-01-30T15:00:00Z")
assert(date.format(951782400) == "2000-02-29T00:00:00Z")
local t, err = date.parse("2026-03-02T15:00:00")
assert(t == nil and err:find("no zone"))
assert(date.parse("yesterday") == nil)
assert(date.days_between("2026-01-01T00:00:00Z", "2026-01-31T12:00:00Z") == 30)
assert(date.days_ago(2, "2026-03-03T00:00:00Z") == "2026-03-01T00:00:00Z")

return "ok"
