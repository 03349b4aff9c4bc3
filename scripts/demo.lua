#!/usr/bin/env -S ashby-lua run
-- A first tour of ashby-lua: list open jobs, look one up, count the pipeline,
-- and fetch several jobs in parallel. Safe to run anywhere: it only reads.
--
--   ashby-lua run --fake scripts/demo.lua      (the fake Ashby, no key needed)
local pretty = require("ashby.pretty")

local open = ashby.list_jobs{ status = "open" }.jobs
if #open == 0 then error("no open jobs to show: the tour needs at least one", 0) end
print(("%d open jobs; the first three:"):format(#open))
for i = 1, math.min(3, #open) do print("  " .. open[i].title) end

local job = ashby.get_job(open[1].id)
print("\nOne job, as Ashby returns it (trimmed):")
print(pretty.format({ id = job.id, title = job.title, status = job.status, departmentId = job.departmentId }))

local stages = {}
for application in ashby.pages("application.list") do
  local title = application.currentInterviewStage.title
  stages[title] = (stages[title] or 0) + 1
end
print("\nApplications per stage:")
for _, title in ipairs(ashby.util.sorted_keys(stages)) do print(("  %-20s %d"):format(title, stages[title])) end

local ids = {}
for i = 1, math.min(10, #open) do ids[i] = open[i].id end
local titles = ashby.map(ids, function(id) return ashby.get_job(id).title end, { concurrency = 5 })
print(("\nFetched %d jobs in parallel; the last is %q."):format(#titles, titles[#titles]))
