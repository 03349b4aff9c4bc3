-- reject-stale.lua archives applications idle in a stage for N days or more.
-- A frozen clock and a small fixture make "stale" exact; the writes prove what changed.
describe("reject-stale.lua", function()
  before_each(function()
    ashby.test.clock("2026-03-01T09:00:00Z")
    ashby.test.fixture({
      jobs = { { id = "job-1", title = "Backend Engineer" } },
      candidates = { { id = "cand-1", name = "Ada Lovelace" }, { id = "cand-2", name = "Alan Turing" } },
      applications = {
        -- 28 days idle on the frozen clock: stale
        { id = "app-1", candidateId = "cand-1", jobId = "job-1", currentInterviewStage = "Application Review",
          updatedAt = "2026-02-01T09:00:00Z" },
        -- 4 days idle: left alone
        { id = "app-2", candidateId = "cand-2", jobId = "job-1", currentInterviewStage = "Application Review",
          updatedAt = "2026-02-25T09:00:00Z" },
      },
    })
  end)

  it("archives only the applications idle for 14 days or more", function()
    local run = ashby.test.run("scripts/reject-stale.lua", { "Application Review", "14", "Went silent" })
    assert.is_true(run.ok, run.stderr)
    assert.matches("1 active applications", run.stdout)
    local writes = ashby.test.writes()
    assert.are.equal(1, #writes)
    assert.are.equal("application.changeStage", writes[1].endpoint)
    assert.are.equal("app-1", writes[1].params.applicationId)
  end)

  it("stops at once on an archive reason Ashby does not have", function()
    local run = ashby.test.run("scripts/reject-stale.lua", { "Application Review", "14", "No such reason" })
    assert.is_false(run.ok)
    assert.matches("No such reason", run.error)
    assert.are.same({}, ashby.test.writes())
  end)

  it("needs a stage, a number of days and a reason", function()
    local run = ashby.test.run("scripts/reject-stale.lua", { "Application Review" })
    assert.are.equal(1, run.exit)
    assert.matches("usage: reject%-stale.lua", run.error)
  end)
end)
