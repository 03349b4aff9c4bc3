#!/usr/bin/env -S ashby-lua run
-- Create candidates from a CSV file and consider each for a job. The CSV has a
-- header row with first_name, last_name, email and optionally phone, source,
-- resume_url. A candidate whose email already exists in Ashby is not created
-- again; they just get the application.
--
--   ashby-lua run scripts/import-candidates.lua scripts/data/candidates.csv "Backend Engineer 1"
local path, job_name = arg[1], arg[2]
if not path or not job_name then
  io.stderr:write("usage: import-candidates.lua FILE.csv JOB_TITLE_OR_ID\n")
  os.exit(2)
end

-- One CSV record per line; fields may be quoted ("a, b" and "say ""hi""").
local function parse_line(line)
  local fields, pos = {}, 1
  while pos <= #line + 1 do
    if line:sub(pos, pos) == '"' then
      local value, i = "", pos + 1
      while true do
        local quote = line:find('"', i, true)
        if not quote then error("unterminated quote in: " .. line) end
        value = value .. line:sub(i, quote - 1)
        if line:sub(quote + 1, quote + 1) == '"' then
          value, i = value .. '"', quote + 2
        else
          pos = quote + 2
          break
        end
      end
      fields[#fields + 1] = value
    else
      local comma = line:find(",", pos, true) or (#line + 1)
      fields[#fields + 1] = line:sub(pos, comma - 1)
      pos = comma + 1
    end
  end
  return fields
end

local rows, header = {}, nil
for line in assert(io.open(path)):lines() do
  line = line:gsub("\r$", "")
  if line ~= "" then
    local fields = parse_line(line)
    if not header then
      header = fields
    else
      local row = {}
      for i, name in ipairs(header) do if fields[i] and fields[i] ~= "" then row[name] = fields[i] end end
      rows[#rows + 1] = row
    end
  end
end

local job
for _, j in ipairs(ashby.list_jobs{ status = { "open", "draft" } }.jobs) do
  if j.id == job_name or j.title:lower() == job_name:lower() then job = j end
end
if not job then
  io.stderr:write(("no open or draft job is called %q\n"):format(job_name))
  os.exit(1)
end

local created, reused, failed = 0, 0, 0
for n, row in ipairs(rows) do
  local ok, err = pcall(function()
    local existing = ashby.call("candidate.search", { email = row.email })
    local candidate = existing[1]
    if candidate then
      reused = reused + 1
    else
      candidate = ashby.create_candidate{
        first_name = row.first_name, last_name = row.last_name, email = row.email, phone = row.phone,
      }
      created = created + 1
    end
    ashby.create_application{
      job_id = job.id, candidate_id = candidate.id, source = row.source, resume_url = row.resume_url,
    }
  end)
  if not ok then
    failed = failed + 1
    io.stderr:write(("row %d (%s): %s\n"):format(n + 1, row.email or "?", tostring(err)))
  end
end
print(("%s: %d created, %d already there, %d failed"):format(job.title, created, reused, failed))
if failed > 0 then os.exit(1) end
