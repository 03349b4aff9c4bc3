#!/usr/bin/env -S ashby-lua run
-- A cron job that reads only the applications changed since its last
-- successful run (Ashby's sync token, kept by the scheduler, or by
-- `ashby-lua run --state NAME` outside it). The first run notes where things
-- stand and reports nothing; a failed run sees the same changes again.
local n = 0
local options = {
  on_first = "skip",
  on_resync = function(info) print("Ashby asked for a full sync (" .. info.reason .. "): everything comes again") end,
}
for app in ashby.changes("application.list", {}, options) do
  n = n + 1
  local stage = app.currentInterviewStage and app.currentInterviewStage.title or "?"
  print(("%-8s %-24s %s"):format(app.status or "?", app.candidate and app.candidate.name or "?", stage))
end
print(n .. " application" .. (n == 1 and "" or "s") .. " changed")
