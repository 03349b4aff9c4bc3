#!/usr/bin/env -S ashby-lua run
-- Schedule interviews from a small plan file: a Lua file that returns a list
-- of { application_id, start, minutes, interviewer, location }. Times carry a
-- zone (Z or an offset); each interview is sent as UTC.
--
--   ashby-lua run scripts/schedule-interviews.lua scripts/data/interview-plan.lua
local plan_file = arg[1]
if not plan_file then
  io.stderr:write("usage: schedule-interviews.lua PLAN.lua\n")
  os.exit(2)
end
local plan = assert(loadfile(plan_file, "t", {}))()

local date = ashby.util.date
local scheduled = ashby.map(plan, function(item)
  local start = assert(date.parse(item.start))
  local ok, result = pcall(ashby.schedule_interview, {
    application_id = item.application_id,
    start_time = item.start,
    end_time = date.format(start + (item.minutes or 60) * 60),
    interviewer_email = item.interviewer,
    location = item.location,
  })
  if ok then return ("%s  %s with %s"):format(result.interviewEvents[1].startTime, item.application_id, item.interviewer) end
  return ("FAILED %s: %s"):format(item.application_id, tostring(result))
end, { concurrency = 4 })

local failed = 0
for _, line in ipairs(scheduled) do
  print(line)
  if line:find("^FAILED") then failed = failed + 1 end
end
-- A failure shows in the exit status too, for cron and CI.
if failed > 0 then error(("%d of %d interviews could not be scheduled"):format(failed, #scheduled), 0) end
