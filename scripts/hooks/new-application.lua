#!/usr/bin/env -S ashby-lua run
-- For the demo: a new candidate applies to the first open job (at the fake,
-- this makes Ashby's applicationSubmit webhook fire). Usage: new-application.lua EMAIL
local email = arg[1] or error("usage: new-application.lua EMAIL")
local job = ashby.list_jobs{ status = "open" }.jobs[1] or error("no open job")
local candidate = ashby.create_candidate{ first_name = "Ada", last_name = "Lovelace", email = email }
local application = ashby.create_application{ candidate_id = candidate.id, job_id = job.id }
print(("application %s: %s for %s"):format(application.id, candidate.name, job.title))
