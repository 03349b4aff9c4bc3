#!/usr/bin/env -S ashby-lua run
-- Reject (archive) applications that have sat in one stage for N days or more,
-- with an archive reason and, optionally, a rejection email. Try it with
-- --dry-run first: the reason and template are checked against Ashby for real,
-- the plan of moves is printed, and nothing is changed.
--
--   ashby-lua run --dry-run scripts/reject-stale.lua STAGE DAYS REASON [TEMPLATE]
--   ashby-lua run --dry-run scripts/reject-stale.lua "Application Review" 30 "Went silent" "Rejection - standard"
local stage_title, days, reason, template = arg[1], tonumber(arg[2] or ""), arg[3], arg[4]
if not stage_title or not days or not reason then
  error("usage: reject-stale.lua STAGE DAYS REASON [TEMPLATE]", 0)
end

local date = ashby.util.date
local stale = {}
for application in ashby.pages("application.list") do
  local stage = application.currentInterviewStage
  if application.status == "Active" and stage and stage.title:lower() == stage_title:lower()
    and date.days_between(application.updatedAt) >= days then
    stale[#stale + 1] = application
  end
end
print(("%d active applications in %q for %d+ days"):format(#stale, stage_title, days))

-- Each application's own plan has an Archived stage; the action finds it by title.
local outcomes = ashby.map(stale, function(application)
  local ok, err = pcall(ashby.advance_application, {
    application_id = application.id, stage = "Archived", archive_reason = reason,
    archive_email = template and { template = template } or nil,
  })
  if ok then return "rejected" end
  if err.kind == "argument" then error(err) end  -- a wrong reason or template: stop at once
  io.stderr:write(("%s: %s\n"):format(application.id, tostring(err)))
  return "failed"
end, { concurrency = 4 })

local summary = ashby.util.count_by(outcomes, function(outcome) return outcome end)
for _, outcome in ipairs(ashby.util.sorted_keys(summary)) do print(("  %-10s %d"):format(outcome, summary[outcome])) end
if summary.failed then error(("%d applications could not be rejected"):format(summary.failed), 0) end
