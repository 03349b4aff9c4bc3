-- Tests for the prelude: all, map, pages, help, is_error and dry_run.
local ids = {}
for job in ashby.pages("job.list") do ids[#ids + 1] = job.id end
assert(#ids > 100, "pages crossed every page")

-- Stopping early is fine; the iterator's cursor is closed when it is collected.
for _ in ashby.pages("job.list") do break end
collectgarbage()
collectgarbage()

local titles = ashby.map(ids, function(id) return ashby.get_job(id).title end, { concurrency = 5 })
assert(#titles == #ids)
for _, i in ipairs { 1, 2, 50, #ids } do assert(titles[i] == ashby.get_job(ids[i]).title) end

local results = ashby.all {
  function() return "a" end,
  function() return ashby.get_job(ids[1]).id end,
  function() return nil end,
}
assert(results[1] == "a" and results[2] == ids[1] and results[3] == nil)
assert(#ashby.all({}) == 0)

-- One failing item fails map once every item has run; the others still ran.
local seen = 0
local ok, err = pcall(ashby.map, { 1, 2, 3, 4 }, function(n)
  seen = seen + 1
  if n == 2 then error({ kind = "mine" }) end
  return n
end, { concurrency = 2 })
assert(not ok and err.kind == "mine" and seen == 4)
assert(not pcall(ashby.map, {}, function() end, { concurrency = 0 }))

local e = select(2, pcall(ashby.get_job, "missing"))
assert(ashby.is_error(e) and not ashby.is_error("text") and not ashby.is_error({ kind = "api" }))
assert(ashby.dry_run == false)
assert(not pcall(function() ashby.dry_run = true end))
assert(ashby.null == ashby.json.null)
assert(ashby.json.encode({ x = ashby.null }) == '{"x":null}')
assert(ashby.util.date.parse("1970-01-02T00:00:00Z") == 86400)

return "ok"
