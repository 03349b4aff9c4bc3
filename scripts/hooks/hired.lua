#!/usr/bin/env -S ashby-lua run
-- A hook for candidateHire: a note on the candidate, and a line in the daemon's log.
local app = ashby.event.data.application
local title = (app.job or {}).title or "the role"
ashby.call("candidate.createNote", { candidate_id = app.candidate.id, note = "Hired for " .. title .. "." })
print(("hired: %s for %s"):format(app.candidate.name, title))
