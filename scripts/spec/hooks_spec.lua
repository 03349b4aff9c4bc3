-- The hook examples (scripts/hooks/): each answers one delivery, given as Ashby POSTs it.
describe("hook scripts", function()
  --- A webhook body for an application of the fake's demo data.
  local function delivery(action)
    local app
    for a in ashby.pages("application.list") do app = app or a end
    assert.is_table(app, "the demo data has an application")
    return app, { action = action, data = { application = app } }
  end

  it("new-application.lua applies a new candidate to the first open job", function()
    local run = ashby.test.run("scripts/hooks/new-application.lua", { "ada@example.com" })
    assert.is_true(run.ok, run.stderr)
    assert.matches("^application [%w-]+: Ada Lovelace for .+\n$", run.stdout)
    local writes = ashby.test.writes()
    assert.are.same({ "candidate.create", "application.create" }, { writes[1].endpoint, writes[2].endpoint })
    assert.are.equal("ada@example.com", writes[1].params.email)
  end)

  it("new-application.lua needs an email", function()
    local run = ashby.test.run("scripts/hooks/new-application.lua")
    assert.is_false(run.ok)
    assert.matches("usage: new%-application.lua EMAIL", run.stderr)
    assert.are.same({}, ashby.test.writes())
  end)

  it("welcome.lua leaves one welcome note on the applicant", function()
    local app, body = delivery("applicationSubmit")
    local run = ashby.test.run("scripts/hooks/welcome.lua", {}, { event = body })
    assert.is_true(run.ok, run.stderr)
    assert.are.equal(("welcomed %s (%s)\n"):format(app.candidate.name, app.job and app.job.title or "no job"), run.stdout)
    local writes = ashby.test.writes()
    assert.are.equal(1, #writes)
    assert.are.equal("candidate.createNote", writes[1].endpoint)
    assert.are.equal(app.candidate.id, writes[1].params.candidateId)
    assert.matches("^Welcome, ", writes[1].params.note)
  end)

  it("hired.lua notes the hire", function()
    local app, body = delivery("candidateHire")
    local run = ashby.test.run("scripts/hooks/hired.lua", {}, { event = body })
    assert.is_true(run.ok, run.stderr)
    assert.matches("^hired: ", run.stdout)
    assert.are.same({ "candidate.createNote" }, { ashby.test.writes()[1].endpoint })
    assert.matches("^Hired for ", ashby.test.writes()[1].params.note)
  end)

  it("changed-applications.lua reports what changed since its last run, once", function()
    local feed = { feed = "applications" }
    local first = ashby.test.run("scripts/hooks/changed-applications.lua", {}, feed)
    assert.is_true(first.ok, first.stderr)
    assert.are.equal("0 applications changed\n", first.stdout)  -- the first run notes where things stand
    local app
    for a in ashby.pages("application.list") do app = app or a end
    ashby.advance_application{ application_id = app.id, stage = "Hired" }
    local second = ashby.test.run("scripts/hooks/changed-applications.lua", {}, feed)
    assert.is_true(second.ok, second.stderr)
    assert.matches("Hired", second.stdout)
    assert.matches("1 application changed\n$", second.stdout)
    local third = ashby.test.run("scripts/hooks/changed-applications.lua", {}, feed)
    assert.are.equal("0 applications changed\n", third.stdout)
  end)

  it("changed-applications.lua starts afresh in each test", function()
    -- Two changes first: a place kept from the test before would report one of them.
    local n = 0
    for a in ashby.pages("application.list") do
      if n < 2 then ashby.advance_application{ application_id = a.id, stage = "Hired" } end
      n = n + 1
    end
    local run = ashby.test.run("scripts/hooks/changed-applications.lua", {}, { feed = "applications" })
    assert.are.equal("0 applications changed\n", run.stdout)
  end)

  it("refuses an event that is not a webhook body", function()
    assert.has_error(function() ashby.test.run("scripts/hooks/welcome.lua", {}, { event = { data = {} } }) end,
      "ashby.test.run: options.event must be a webhook body, like { action = \"applicationSubmit\", data = {...} }")
  end)
end)
