-- scripts/schedule-interviews.lua: one interview per entry of a plan file,
-- sent to Ashby in UTC whatever zone the plan's times are in.
describe("schedule-interviews.lua", function()
  -- The interviewSchedule.create bodies by application id: four go out at once,
  -- so the order they reach Ashby in varies.
  local function schedules()
    local by_application = {}
    for _, w in ipairs(ashby.test.writes()) do
      if w.endpoint == "interviewSchedule.create" then by_application[w.params.applicationId] = w.params end
    end
    return by_application
  end

  -- The shipped plan names applications and users of the demo data, which each test starts with.
  it("schedules scripts/data/interview-plan.lua, in UTC", function()
    local run = ashby.test.run("scripts/schedule-interviews.lua", { "scripts/data/interview-plan.lua" })
    assert.is_true(run.ok, run.stderr)
    -- One line per plan entry, in the plan's order.
    assert.are.equal(table.concat({
      "2026-03-02T09:00:00.000Z  app-00000000-0000 with lee@example.com",
      "2026-03-02T14:30:00.000Z  app-9e3779b1-0001 with sam@example.com",
      "2026-03-03T14:00:00.000Z  app-3c6ef362-0002 with priya@example.com",
      "",
    }, "\n"), run.stdout)

    local sent = schedules()
    -- +01:00 becomes Z; 45 minutes; the location goes in extraData.
    assert.are.same({
      applicationId = "app-00000000-0000",
      interviewEvents = { {
        startTime = "2026-03-02T09:00:00.000Z", endTime = "2026-03-02T09:45:00.000Z",
        interviewers = { { email = "lee@example.com", feedbackRequired = true } },
        extraData = { location = "Room 4" },
      } },
    }, sent["app-00000000-0000"])
    -- No minutes: an hour. No location: no extraData.
    local event = sent["app-9e3779b1-0001"].interviewEvents[1]
    assert.are.equal("2026-03-02T15:30:00.000Z", event.endTime)
    assert.is_nil(event.extraData)
    -- -05:00 becomes Z.
    event = sent["app-3c6ef362-0002"].interviewEvents[1]
    assert.are.equal("2026-03-03T14:00:00.000Z", event.startTime)
    assert.are.equal("2026-03-03T15:00:00.000Z", event.endTime)
  end)

  describe("with an interviewer who is not an Ashby user", function()
    local path
    before_each(function()
      path = os.tmpname()
      local file = assert(io.open(path, "w"))
      file:write([[return {
        { application_id = "app-00000000-0000", start = "2026-03-02T10:00:00Z", interviewer = "lee@example.com" },
        { application_id = "app-9e3779b1-0001", start = "2026-03-02T11:00:00Z", interviewer = "nobody@example.com" },
      }]])
      file:close()
    end)
    after_each(function() os.remove(path) end)

    it("reports that entry as FAILED and schedules the rest", function()
      local run = ashby.test.run("scripts/schedule-interviews.lua", { path })
      local lines = {}
      for line in run.stdout:gmatch("[^\n]+") do lines[#lines + 1] = line end
      assert.are.equal(2, #lines)
      assert.are.equal("2026-03-02T10:00:00.000Z  app-00000000-0000 with lee@example.com", lines[1])
      assert.matches("^FAILED app%-9e3779b1%-0001: .*No Ashby user with email nobody@example.com", lines[2])
      -- and the run fails, so cron or CI hears of it
      assert.are.equal(1, run.exit)
      assert.are.equal("1 of 2 interviews could not be scheduled", run.error)
      -- writes() lists every request sent, the one Ashby refused included.
      local sent = schedules()
      assert.truthy(sent["app-00000000-0000"])
      assert.truthy(sent["app-9e3779b1-0001"])
    end)
  end)

  it("prints its usage without a plan file", function()
    local run = ashby.test.run("scripts/schedule-interviews.lua")
    assert.are.equal(2, run.exit)
    assert.are.equal("usage: schedule-interviews.lua PLAN.lua\n", run.stderr)
    assert.are.same({}, ashby.test.writes())
  end)
end)
