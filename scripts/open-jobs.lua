#!/usr/bin/env -S ashby-lua run
-- open-jobs.lua: print every open job, newest first
local jobs = ashby.list_jobs{ status = "open" }.jobs
table.sort(jobs, function(a, b) return (a.openedAt or "") > (b.openedAt or "") end)
for _, job in ipairs(jobs) do
  print(job.title, job.openedAt)
end
