-- scripts/open-jobs-digest.lua: open jobs as Markdown, by department then location,
-- with days open counted from a frozen "now" so the output never drifts.
describe("open-jobs-digest.lua", function()
  before_each(function()
    ashby.test.clock("2026-03-01T09:00:00Z")
    ashby.test.fixture{
      departments = { { id = "dep-eng", name = "Engineering" }, { id = "dep-sales", name = "Sales" } },
      locations = { { id = "loc-ber", name = "Berlin" }, { id = "loc-lon", name = "London" } },
      jobs = {
        { title = "Frontend Engineer", departmentId = "dep-eng", locationId = "loc-lon",
          openedAt = "2026-02-27T09:00:00Z" },
        { title = "Backend Engineer", departmentId = "dep-eng", locationId = "loc-lon",
          openedAt = "2026-01-30T09:00:00Z" },
        { title = "SRE", departmentId = "dep-eng", locationId = "loc-ber", openedAt = "2026-02-21T09:00:00Z" },
        { title = "Account Executive", departmentId = "dep-sales", locationId = "loc-ber",
          openedAt = "2026-02-15T09:00:00Z" },
        -- No department or location: listed as "Unassigned".
        { title = "Chief of Staff", openedAt = "2026-02-28T09:00:00Z" },
        -- Not open: left out.
        { title = "Closed Role", status = "Closed", departmentId = "dep-eng", openedAt = "2026-02-28T09:00:00Z" },
      },
    }
  end)

  it("groups open jobs by department and location, marking those opened this week", function()
    local run = ashby.test.run("scripts/open-jobs-digest.lua")
    assert.is_true(run.ok, run.stderr)
    assert.are.equal(table.concat({
      "# Open jobs: 5 (as of 2026-03-01)",
      "",
      "## Engineering (3)",
      "",
      "**Berlin**",
      "- SRE (open 8 days)",
      "",
      "**London**",
      "- Backend Engineer (open 30 days)",
      "- Frontend Engineer (open 2 days — new)",
      "",
      "## Sales (1)",
      "",
      "**Berlin**",
      "- Account Executive (open 14 days)",
      "",
      "## Unassigned (1)",
      "",
      "**Unassigned**",
      "- Chief of Staff (open 1 day — new)",
      "",
    }, "\n"), run.stdout)
    assert.are.same({}, ashby.test.writes())
  end)

  it("takes how many days count as new", function()
    -- 14 days: the Account Executive (open exactly 14 days) is new too; Backend Engineer is not.
    local run = ashby.test.run("scripts/open-jobs-digest.lua", { 14 })
    assert.is_true(run.ok, run.stderr)
    assert.matches("- SRE (open 8 days — new)", run.stdout, 1, true)
    assert.matches("- Account Executive (open 14 days — new)", run.stdout, 1, true)
    assert.matches("- Backend Engineer (open 30 days)\n", run.stdout, 1, true)
  end)
end)
