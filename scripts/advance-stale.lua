#!/usr/bin/env -S ashby-lua run
-- Bulk-advance applications that have been in one stage for N days or more (by
-- the stage history: when each entered the stage it is in),
-- leaving a note on each candidate. Try it with --dry-run first: the plan of
-- intended moves is printed and nothing is changed.
--
--   ashby-lua run --dry-run scripts/advance-stale.lua FROM_STAGE TO_STAGE [DAYS]
--   ashby-lua run --dry-run scripts/advance-stale.lua "Application Review" "Phone Screen" 14
local from_stage, to_stage, days = arg[1], arg[2], tonumber(arg[3] or "14")
if not from_stage or not to_stage or not days then
  error("usage: advance-stale.lua FROM_STAGE TO_STAGE [DAYS]", 0)
end

local date = ashby.util.date
local in_stage = {}
for application in ashby.pages("application.list") do
  local stage = application.currentInterviewStage
  if stage and stage.title:lower() == from_stage:lower() then in_stage[#in_stage + 1] = application end
end
-- Days in the stage come from the stage history: when the application entered the stage it is in
-- (the history's last entry), not its last activity.
local entered = ashby.map(in_stage, function(application)
  local last
  for entry in ashby.pages("application.listHistory", { applicationId = application.id }) do last = entry end
  return last and last.enteredStageAt or application.createdAt
end, { concurrency = 4 })
local stale = {}
for i, application in ipairs(in_stage) do
  if date.days_between(entered[i]) >= days then stale[#stale + 1] = application end
end
print(("%d applications in %q for %d+ days"):format(#stale, from_stage, days))

local note = ("Moved from %s to %s after %d days in the stage (bulk update%s)."):format(
  from_stage, to_stage, days, ashby.dry_run and ", dry run" or "")
local moved = ashby.map(stale, function(application)
  local ok, err = pcall(ashby.advance_application, {
    application_id = application.id, stage = to_stage, note = note,
  })
  if ok then return "moved" end
  io.stderr:write(("%s: %s\n"):format(application.id, tostring(err)))
  return err.partial and "moved, note failed" or "failed"
end, { concurrency = 4 })

local summary = ashby.util.count_by(moved, function(outcome) return outcome end)
for _, outcome in ipairs(ashby.util.sorted_keys(summary)) do print(("  %-20s %d"):format(outcome, summary[outcome])) end
if summary.failed then error(("%d applications could not be moved"):format(summary.failed), 0) end
