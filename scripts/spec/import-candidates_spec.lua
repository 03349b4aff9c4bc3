-- scripts/import-candidates.lua: creates candidates from a CSV file and applies
-- each to a job; someone whose email Ashby already has is not created twice.
describe("import-candidates.lua", function()
  local function writes_to(endpoint)
    local params = {}
    for _, w in ipairs(ashby.test.writes()) do
      if w.endpoint == endpoint then params[#params + 1] = w.params end
    end
    return params
  end

  -- The id Ashby gave the candidate with this email (the spec reads the same fake the script wrote to).
  local function candidate_id(email)
    local found = ashby.call("candidate.search", { email = email })
    return found[1] and found[1].id
  end

  before_each(function()
    -- The job the script's usage example names, the sources the CSV names, and one
    -- candidate (the CSV's last row) who is already in Ashby.
    ashby.test.fixture{
      jobs = { { id = "job-backend", title = "Backend Engineer 1" } },
      sources = {
        { id = "src-referral", title = "Referral" }, { id = "src-linkedin", title = "LinkedIn" },
        { id = "src-careers", title = "Careers Page" },
      },
      candidates = { { id = "cand-lee", name = "Lee Lovelace", email = "lee.lovelace0@example.org" } },
    }
  end)

  it("imports scripts/data/candidates.csv", function()
    local run = ashby.test.run("scripts/import-candidates.lua", { "scripts/data/candidates.csv", "backend engineer 1" })
    assert.is_true(run.ok, run.stderr)
    assert.are.equal("Backend Engineer 1: 3 created, 1 already there, 0 failed\n", run.stdout)

    -- Three new people (a quoted field with doubled quotes, phones only where given) ...
    assert.are.same({
      { name = "Ada Lovelace", email = "ada.lovelace@example.net", phoneNumber = "+44 20 7946 0001" },
      { name = "Grace Hopper", email = "grace.hopper@example.net" },
      { name = 'Barbara "Babs" Liskov', email = "barbara.liskov@example.net", phoneNumber = "+1 617 555 0100" },
    }, writes_to("candidate.create"))
    -- ... and four applications, the sources named by id, Lee's to the candidate already there.
    assert.are.same({
      { jobId = "job-backend", candidateId = candidate_id("ada.lovelace@example.net"), sourceId = "src-referral" },
      { jobId = "job-backend", candidateId = candidate_id("grace.hopper@example.net"), sourceId = "src-linkedin" },
      { jobId = "job-backend", candidateId = candidate_id("barbara.liskov@example.net"), sourceId = "src-careers" },
      { jobId = "job-backend", candidateId = "cand-lee" },
    }, writes_to("application.create"))
  end)

  describe("with a row that fails", function()
    local path
    before_each(function()
      path = os.tmpname()
      local file = assert(io.open(path, "w"))
      file:write("first_name,last_name,email,source\n",
        "Ada,Lovelace,ada@example.net,Referral\n",
        "Alan,Turing,alan@example.net,Podcast\n", -- no such source
        "Grace,Hopper,grace@example.net,LinkedIn\n")
      file:close()
    end)
    after_each(function() os.remove(path) end)

    it("reports the row, goes on with the rest, and exits 1", function()
      local run = ashby.test.run("scripts/import-candidates.lua", { path, "job-backend" }) -- a job id works too
      assert.are.equal(1, run.exit)
      assert.are.equal("Backend Engineer 1: 3 created, 0 already there, 1 failed\n", run.stdout)
      assert.matches('row 3 (alan@example.net): ashby.create_application: argument: unknown source "Podcast"',
        run.stderr, 1, true)
      -- The source is checked before the application is sent: Alan exists, without an application.
      assert.are.equal(3, #writes_to("candidate.create"))
      assert.are.same({
        { jobId = "job-backend", candidateId = candidate_id("ada@example.net"), sourceId = "src-referral" },
        { jobId = "job-backend", candidateId = candidate_id("grace@example.net"), sourceId = "src-linkedin" },
      }, writes_to("application.create"))
    end)
  end)

  it("refuses missing arguments and an unknown job, writing nothing", function()
    local run = ashby.test.run("scripts/import-candidates.lua", { "scripts/data/candidates.csv" })
    assert.are.equal(2, run.exit)
    assert.are.equal("usage: import-candidates.lua FILE.csv JOB_TITLE_OR_ID\n", run.stderr)

    run = ashby.test.run("scripts/import-candidates.lua", { "scripts/data/candidates.csv", "Astronaut" })
    assert.are.equal(1, run.exit)
    assert.are.equal('no open or draft job is called "Astronaut"\n', run.stderr)
    assert.are.same({}, ashby.test.writes())
  end)
end)
