-- scripts/open-jobs.lua: every open job, newest first, one "title<TAB>openedAt" line each.
describe("open-jobs.lua", function()
  before_each(function()
    -- Three open jobs out of order, and two that must not show up.
    ashby.test.fixture{
      jobs = {
        { title = "Data Scientist", openedAt = "2026-02-01T09:00:00Z" },
        { title = "Backend Engineer", openedAt = "2026-02-20T09:00:00Z" },
        { title = "Old Role", status = "Closed", openedAt = "2026-02-25T09:00:00Z" },
        { title = "Designer", openedAt = "2026-01-15T09:00:00Z" },
        { title = "Next Year's Role", status = "Draft" },
      },
    }
  end)

  it("prints the open jobs, newest first", function()
    local run = ashby.test.run("scripts/open-jobs.lua")
    assert.is_true(run.ok, run.stderr)
    assert.are.equal(
      "Backend Engineer\t2026-02-20T09:00:00Z\n"
        .. "Data Scientist\t2026-02-01T09:00:00Z\n"
        .. "Designer\t2026-01-15T09:00:00Z\n",
      run.stdout)
    assert.are.equal("", run.stderr)
    -- A listing only reads.
    assert.are.same({}, ashby.test.writes())
  end)

  it("rides out rate limiting", function()
    -- Ashby turns the first two requests away with a 429; the client waits and retries.
    ashby.test.fault{ kind = "429", count = 2, retry_after = 0 }
    local run = ashby.test.run("scripts/open-jobs.lua")
    assert.is_true(run.ok, run.stderr)
    assert.matches("^Backend Engineer\t", run.stdout)
  end)
end)
