#!/usr/bin/env -S ashby-lua run
-- Weekly open-jobs digest: open jobs grouped by department, then location,
-- with how long each has been open and the ones opened this week marked.
-- Prints Markdown, ready to paste into a team channel or an email.
--
--   ashby-lua run scripts/open-jobs-digest.lua [DAYS_FOR_NEW=7]
local util, date = ashby.util, ashby.util.date
local new_days = tonumber(arg[1] or "7")
if not new_days then error("usage: open-jobs-digest.lua [DAYS_FOR_NEW=7]", 0) end

-- (parentheses: ashby.call's second value, the page's meta, is not index_by's key)
local departments = util.index_by((ashby.call("department.list", {})))
local locations = util.index_by((ashby.call("location.list", {})))
local jobs = ashby.list_jobs{ status = "open" }.jobs

local function name_of(index, id) return id and index[id] and index[id].name or "Unassigned" end

print(("# Open jobs: %d (as of %s)"):format(#jobs, date.format():sub(1, 10)))
local by_department = util.group_by(jobs, function(job) return name_of(departments, job.departmentId) end)
for _, department in ipairs(util.sorted_keys(by_department)) do
  local in_department = by_department[department]
  print(("\n## %s (%d)"):format(department, #in_department))
  local by_location = util.group_by(in_department, function(job) return name_of(locations, job.locationId) end)
  for _, location in ipairs(util.sorted_keys(by_location)) do
    print(("\n**%s**"):format(location))
    local here = by_location[location]
    table.sort(here, function(a, b) return a.title < b.title end)
    for _, job in ipairs(here) do
      local open_days = job.openedAt and date.days_between(job.openedAt) or nil
      local age = open_days and ("open %d day%s"):format(open_days, open_days == 1 and "" or "s") or "not yet opened"
      local new = open_days and open_days <= new_days and " — new" or ""
      print(("- %s (%s%s)"):format(job.title, age, new))
    end
  end
end
