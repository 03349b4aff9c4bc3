#!/usr/bin/env -S ashby-lua run
-- Pipeline report: for every job with applications, how many sit in each
-- interview stage, as a plain-text table (or CSV with --csv).
--
--   ashby-lua run scripts/pipeline-report.lua [--csv]
local util = ashby.util
local csv = arg[1] == "--csv"

local jobs = util.index_by(ashby.list_jobs{ status = { "open", "closed", "archived", "draft" } }.jobs)
local counts, stage_order, totals = {}, {}, {}
for application in ashby.pages("application.list") do
  local job_id = application.job.id
  local stage = application.currentInterviewStage
  stage_order[stage.title] = stage.orderInInterviewPlan
  counts[job_id] = counts[job_id] or {}
  counts[job_id][stage.title] = (counts[job_id][stage.title] or 0) + 1
  totals[job_id] = (totals[job_id] or 0) + 1
end

local stages = util.sorted_keys(stage_order)
table.sort(stages, function(a, b) return stage_order[a] < stage_order[b] end)
local job_ids = util.sorted_keys(counts)
table.sort(job_ids, function(a, b)
  if totals[a] ~= totals[b] then return totals[a] > totals[b] end
  return a < b
end)

local function title(id) return jobs[id] and jobs[id].title or ("(job " .. id .. ")") end

if csv then
  print("job," .. table.concat(stages, ",") .. ",total")
  for _, id in ipairs(job_ids) do
    local row = { ('"%s"'):format(title(id):gsub('"', '""')) }
    for _, s in ipairs(stages) do row[#row + 1] = tostring(counts[id][s] or 0) end
    row[#row + 1] = tostring(totals[id])
    print(table.concat(row, ","))
  end
  return
end

local header = ("%-28s"):format("Job")
for _, s in ipairs(stages) do header = header .. "  " .. s end
print(header .. "  Total")
for _, id in ipairs(job_ids) do
  local line = ("%-28.28s"):format(title(id))
  for _, s in ipairs(stages) do line = line .. ("  %" .. #s .. "d"):format(counts[id][s] or 0) end
  print(line .. ("  %5d"):format(totals[id]))
end
print(("%d jobs with applications"):format(#job_ids))
