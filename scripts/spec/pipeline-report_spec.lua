-- scripts/pipeline-report.lua: applications per job and stage, as a text table,
-- CSV (--csv) or an HTML page (--html FILE).
describe("pipeline-report.lua", function()
  before_each(function()
    -- Two jobs in the default plan; only the stages someone is in become columns.
    -- The second title has a comma and quotes, which the CSV must quote.
    ashby.test.fixture{
      jobs = {
        { id = "job-backend", title = "Backend Engineer" },
        { id = "job-platform", title = 'Engineer, "Platform"' },
      },
      candidates = {
        { id = "cand-1", name = "Ada Lovelace" }, { id = "cand-2", name = "Grace Hopper" },
        { id = "cand-3", name = "Alan Turing" }, { id = "cand-4", name = "Barbara Liskov" },
        { id = "cand-5", name = "Donald Knuth" },
      },
      applications = {
        { candidateId = "cand-1", jobId = "job-backend", currentInterviewStage = "Application Review" },
        { candidateId = "cand-2", jobId = "job-backend", currentInterviewStage = "Application Review" },
        { candidateId = "cand-3", jobId = "job-backend", currentInterviewStage = "Onsite" },
        { candidateId = "cand-4", jobId = "job-backend", currentInterviewStage = "Archived" },
        { candidateId = "cand-5", jobId = "job-platform", currentInterviewStage = "Phone Screen" },
      },
    }
  end)

  it("prints a table: stages in plan order, busiest job first", function()
    local run = ashby.test.run("scripts/pipeline-report.lua")
    assert.is_true(run.ok, run.stderr)
    assert.are.equal(table.concat({
      "Job                           Application Review  Phone Screen  Onsite  Archived  Total",
      "Backend Engineer                               2             0       1         1      4",
      'Engineer, "Platform"                           0             1       0         0      1',
      "2 jobs with applications",
      "",
    }, "\n"), run.stdout)
    -- A report only reads.
    assert.are.same({}, ashby.test.writes())
  end)

  it("prints CSV with --csv, quoting titles", function()
    local run = ashby.test.run("scripts/pipeline-report.lua", { "--csv" })
    assert.is_true(run.ok, run.stderr)
    assert.are.equal(table.concat({
      "job,Application Review,Phone Screen,Onsite,Archived,total",
      '"Backend Engineer",2,0,1,1,4',
      '"Engineer, ""Platform""",0,1,0,0,1',
      "",
    }, "\n"), run.stdout)
  end)

  describe("--html", function()
    local path
    before_each(function() path = os.tmpname() end)
    -- Runs even when the test fails: no report files left in /tmp.
    after_each(function() os.remove(path) end)

    it("writes a self-contained page to FILE", function()
      local run = ashby.test.run("scripts/pipeline-report.lua", { "--html", path })
      assert.is_true(run.ok, run.stderr)
      assert.are.equal(("wrote %s\n"):format(path), run.stdout)
      local file = assert(io.open(path))
      local page = file:read("a")
      file:close()
      assert.matches("Pipeline report", page, 1, true)
      assert.matches("5 applications across 2 jobs; 1 archived.", page, 1, true)
      assert.matches("Backend Engineer", page, 1, true)
    end)

    it("needs the FILE", function()
      local run = ashby.test.run("scripts/pipeline-report.lua", { "--html" })
      assert.is_false(run.ok)
      assert.are.equal("usage: pipeline-report.lua --html FILE", run.error)
    end)
  end)
end)
