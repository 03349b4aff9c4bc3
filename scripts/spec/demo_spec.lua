-- scripts/demo.lua: a read-only tour (open jobs, one job, applications per
-- stage, ten jobs fetched in parallel).
describe("demo.lua", function()
  it("tours the demo data and writes nothing", function()
    local run = ashby.test.run("scripts/demo.lua")
    assert.is_true(run.ok, run.stderr)
    -- The spec reads the same fake Ashby as the script: compare with what it holds.
    local open = ashby.list_jobs{ status = "open" }.jobs
    local head = ("%d open jobs; the first three:\n  %s\n  %s\n  %s\n"):format(
      #open, open[1].title, open[2].title, open[3].title)
    assert.are.equal(head, run.stdout:sub(1, #head))
    assert.matches(('id = "%s"'):format(open[1].id), run.stdout, 1, true)
    local tail = ('Fetched 10 jobs in parallel; the last is "%s".\n'):format(open[10].title)
    assert.are.equal(tail, run.stdout:sub(-#tail))
    assert.are.same({}, ashby.test.writes())
  end)

  it("counts applications per stage", function()
    -- The tour needs ten open jobs; a few applications in known stages give exact counts.
    local jobs = {}
    for i = 1, 10 do jobs[i] = { id = ("job-%02d"):format(i), title = ("Job %02d"):format(i) } end
    jobs[11] = { id = "job-closed", title = "Closed Job", status = "Closed" }
    ashby.test.fixture{
      jobs = jobs,
      candidates = { { id = "cand-1" }, { id = "cand-2" }, { id = "cand-3" } },
      applications = {
        { candidateId = "cand-1", jobId = "job-01", currentInterviewStage = "Onsite" },
        { candidateId = "cand-2", jobId = "job-01", currentInterviewStage = "Onsite" },
        { candidateId = "cand-3", jobId = "job-02", currentInterviewStage = "Application Review" },
        { candidateId = "cand-3", jobId = "job-closed", currentInterviewStage = "Hired" },
      },
    }
    local run = ashby.test.run("scripts/demo.lua")
    assert.is_true(run.ok, run.stderr)
    assert.matches("^10 open jobs; the first three:\n  Job 01\n  Job 02\n  Job 03\n", run.stdout)
    assert.matches(table.concat({
      "Applications per stage:",
      "  Application Review   1",
      "  Hired                1",
      "  Onsite               2",
      "",
      'Fetched 10 jobs in parallel; the last is "Job 10".',
      "",
    }, "\n"), run.stdout, 1, true)
  end)

  it("retries a job lookup that failed with a 5xx", function()
    -- Only job.info fails, twice: the client retries and the tour completes.
    ashby.test.fault{ kind = "5xx", endpoint = "job.info", count = 2 }
    local run = ashby.test.run("scripts/demo.lua")
    assert.is_true(run.ok, run.stderr)
    assert.matches("Fetched 10 jobs in parallel", run.stdout, 1, true)
  end)
end)
