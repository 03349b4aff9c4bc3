#!/usr/bin/env -S ashby-lua run
-- Pipeline report: for every job with applications, how many sit in each
-- interview stage, as a plain-text table, CSV (--csv), or a self-contained
-- HTML page with a funnel per job (--html FILE).
--
--   ashby-lua run scripts/pipeline-report.lua [--csv | --html report.html]
local util = ashby.util
local csv = arg[1] == "--csv"
local html = arg[1] == "--html" and arg[2]
if arg[1] == "--html" and not html then error("usage: pipeline-report.lua --html FILE", 0) end

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

-- A funnel counts how many active applications reached each stage (are in it or past it).
local function funnel(stage_counts)
  local rows = {}
  for i, s in ipairs(stages) do
    if s ~= "Archived" then
      local reached = 0
      for j = i, #stages do
        if stages[j] ~= "Archived" then reached = reached + (stage_counts[stages[j]] or 0) end
      end
      rows[#rows + 1] = { label = s, value = reached }
    end
  end
  return rows
end

if html then
  local all, applications, per_job = {}, 0, {}
  for i, id in ipairs(job_ids) do
    for s, n in pairs(counts[id]) do all[s] = (all[s] or 0) + n end
    applications = applications + totals[id]
    if i <= 15 then per_job[i] = { label = title(id), value = totals[id] } end
  end
  local sections = {
    { title = "Every job", funnel = funnel(all),
      text = ("%d applications across %d jobs; %d archived."):format(applications, #job_ids, all.Archived or 0) },
    { title = "Applications per job", bar = per_job },
  }
  for i = 1, math.min(#job_ids, 8) do
    local id = job_ids[i]
    sections[#sections + 1] = { title = title(id), funnel = funnel(counts[id]) }
  end
  local rows = {}
  for _, id in ipairs(job_ids) do
    local row = { title(id) }
    for _, s in ipairs(stages) do row[#row + 1] = counts[id][s] or 0 end
    row[#row + 1] = totals[id]
    rows[#rows + 1] = row
  end
  local columns = { "Job" }
  for _, s in ipairs(stages) do columns[#columns + 1] = s end
  columns[#columns + 1] = "Total"
  sections[#sections + 1] = { title = "Every job and stage", table = { columns = columns, rows = rows } }
  ashby.report.html(html, {
    title = "Pipeline report", subtitle = ("%d jobs with applications, %s"):format(#job_ids, util.date.format()),
    sections = sections,
  })
  print(("wrote %s"):format(html))
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
