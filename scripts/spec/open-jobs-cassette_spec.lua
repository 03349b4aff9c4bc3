-- A cassette holds how an Ashby answered, recorded once and replayed offline forever:
--   ashby-lua run --record scripts/spec/cassettes/open-jobs.json scripts/open-jobs.lua
-- (recorded against `ashby-lua fake-server` here; record yours against your own account,
-- with a read-only key: people's names, emails and phones are replaced by stand-ins).
describe("open-jobs.lua against a recorded Ashby", function()
  local cassette = "scripts/spec/cassettes/open-jobs.json"

  it("prints the open jobs, newest first, as it did when recorded", function()
    ashby.test.cassette(cassette)
    local run = ashby.test.run("scripts/open-jobs.lua")
    assert.is_true(run.ok, run.stderr)
    local lines = {}
    for line in run.stdout:gmatch("[^\n]+") do lines[#lines + 1] = line end
    assert.are.equal(126, #lines)
    assert.are.equal("Data Scientist 180\t2026-05-27T20:26:40.000Z", lines[1])
    assert.are.same({}, ashby.test.writes())
  end)

  it("refuses a request the cassette lacks, naming the closest it has", function()
    ashby.test.cassette(cassette)
    local ok, err = pcall(ashby.list_jobs, { status = "closed" })
    assert.is_false(ok)
    assert.are.equal("not_in_cassette", err.code)
    assert.matches('the closest recorded request is job.list {"status":%["Open"%]}', err.message)
  end)
end)
