-- `require("ashby.clock")`: freezes the time a script sees (`os.time`, `os.date`,
-- and so `ashby.util.date`), for `ashby.test.clock` and a run under `ASHBY_LUA_FROZEN_TIME`.
-- `os.time{...}` with a table still converts, and `os.clock` still measures.
local clock = {}
local real_time, real_date = os.time, os.date
local frozen

--- Stops the clock at `seconds` since the epoch.
function clock.freeze(seconds)
  assert(type(seconds) == "number", "clock.freeze expects epoch seconds")
  frozen = math.floor(seconds)
  os.time = function(t)
    if t ~= nil then return real_time(t) end
    return frozen
  end
  os.date = function(format, t)
    if t == nil then t = frozen end
    return real_date(format, t)
  end
end

--- Lets the clock run again.
function clock.thaw()
  frozen = nil
  os.time, os.date = real_time, real_date
end

--- The frozen time, or nil when the clock runs.
function clock.frozen() return frozen end

return clock
