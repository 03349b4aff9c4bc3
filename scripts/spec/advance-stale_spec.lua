-- scripts/advance-stale.lua: moves applications that entered a stage N+ days ago
-- to the next stage, with a note on each candidate.
describe("advance-stale.lua", function()
  -- The writes of one endpoint, sorted by `key`: the script moves four at a time,
  -- so the order they reach Ashby in varies.
  local function writes_to(endpoint, key)
    local found = {}
    for _, w in ipairs(ashby.test.writes()) do
      if w.endpoint == endpoint then found[#found + 1] = w.params end
    end
    table.sort(found, function(a, b) return a[key] < b[key] end)
    return found
  end

  before_each(function()
    -- Days in a stage count from a frozen "now"; a fixture application entered
    -- its stage at its updatedAt (one stage-history entry).
    ashby.test.clock("2026-03-01T09:00:00Z")
    ashby.test.fixture{
      stages = {
        { id = "stg-review", title = "Application Review" },
        { id = "stg-phone", title = "Phone Screen" },
        { id = "stg-archived", title = "Archived" },
      },
      jobs = { { id = "job-1", title = "Backend Engineer" } },
      candidates = {
        { id = "cand-old", name = "Ada Lovelace" }, { id = "cand-edge", name = "Grace Hopper" },
        { id = "cand-new", name = "Alan Turing" }, { id = "cand-phone", name = "Barbara Liskov" },
      },
      applications = {
        { id = "app-old", candidateId = "cand-old", jobId = "job-1",
          currentInterviewStage = "Application Review", updatedAt = "2026-02-01T09:00:00Z" }, -- 28 days
        { id = "app-edge", candidateId = "cand-edge", jobId = "job-1",
          currentInterviewStage = "Application Review", updatedAt = "2026-02-15T09:00:00Z" }, -- exactly 14
        { id = "app-new", candidateId = "cand-new", jobId = "job-1",
          currentInterviewStage = "Application Review", updatedAt = "2026-02-20T09:00:00Z" }, -- 9 days
        { id = "app-phone", candidateId = "cand-phone", jobId = "job-1",
          currentInterviewStage = "Phone Screen", updatedAt = "2026-01-01T09:00:00Z" }, -- another stage
      },
    }
  end)

  it("moves those 14+ days in the stage (the default) and notes why", function()
    local run = ashby.test.run("scripts/advance-stale.lua", { "Application Review", "Phone Screen" })
    assert.is_true(run.ok, run.stderr)
    assert.are.equal('2 applications in "Application Review" for 14+ days\n  moved                2\n', run.stdout)

    assert.are.same({
      { applicationId = "app-edge", interviewStageId = "stg-phone" },
      { applicationId = "app-old", interviewStageId = "stg-phone" },
    }, writes_to("application.changeStage", "applicationId"))
    local note = "Moved from Application Review to Phone Screen after 14 days in the stage (bulk update)."
    assert.are.same({
      { candidateId = "cand-edge", note = note, sendNotifications = false },
      { candidateId = "cand-old", note = note, sendNotifications = false },
    }, writes_to("candidate.createNote", "candidateId"))
  end)

  it("takes the number of days", function()
    local run = ashby.test.run("scripts/advance-stale.lua", { "application review", "Phone Screen", 21 })
    assert.is_true(run.ok, run.stderr)
    assert.matches('^1 applications in "application review" for 21%+ days\n', run.stdout)
    assert.are.same({ { applicationId = "app-old", interviewStageId = "stg-phone" } },
      writes_to("application.changeStage", "applicationId"))
  end)

  it("writes nothing when the target stage is not in the plan", function()
    -- The stage is looked up before each move, so a typo fails every move and changes nothing.
    local run = ashby.test.run("scripts/advance-stale.lua", { "Application Review", "Phone Interview" })
    assert.is_false(run.ok)
    assert.are.equal("2 applications could not be moved", run.error)
    assert.matches('app-old: ashby.advance_application: argument: unknown stage "Phone Interview"', run.stderr, 1, true)
    assert.are.same({}, ashby.test.writes())
  end)

  it("prints its usage for missing or bad arguments", function()
    for _, args in ipairs({ {}, { "Application Review" }, { "Application Review", "Phone Screen", "two weeks" } }) do
      local run = ashby.test.run("scripts/advance-stale.lua", args)
      assert.is_false(run.ok)
      assert.are.equal("usage: advance-stale.lua FROM_STAGE TO_STAGE [DAYS]", run.error)
    end
    assert.are.same({}, ashby.test.writes())
  end)
end)
