#!/usr/bin/env -S ashby-lua run
-- A hook for applicationSubmit: a welcome note on the candidate. The
-- delivery is `...` (Ashby's payload) and `ashby.event` (action, data,
-- webhook_action_id, received_at); Ashby's retries of one event run it once.
local app = ashby.event.data.application
local candidate, job = app.candidate, app.job or {}
ashby.call("candidate.createNote", {
  candidate_id = candidate.id,
  note = ("Welcome, %s: thanks for applying%s."):format(candidate.name, job.title and (" to " .. job.title) or ""),
})
print(("welcomed %s (%s)"):format(candidate.name, job.title or "no job"))
