-- Tests for ashby.csv: RFC 4180 quoting, columns, header, errors.
local csv = require("ashby.csv")

local rows = {
  { source = "LinkedIn", applications = 12, rate = 0.25 },
  { source = 'Say "hi", please', applications = 3, rate = 1.0 },
  { source = "Two\nlines", applications = 0 },
}
assert(csv.encode(rows, { columns = { "source", "applications" } }) ==
  'source,applications\r\nLinkedIn,12\r\n"Say ""hi"", please",3\r\n"Two\nlines",0\r\n')
-- Default columns: every name the rows have, sorted; a missing value is an empty field; 1.0 is 1.
assert(csv.encode(rows) ==
  'applications,rate,source\r\n12,0.25,LinkedIn\r\n3,1,"Say ""hi"", please"\r\n0,,"Two\nlines"\r\n')
assert(csv.encode({ { 1, "a,b", true } }, { header = false }) == '1,"a,b",true\r\n')
assert(csv.encode({}) == "")
local ok, err = pcall(csv.encode, { { source = {} } })
assert(not ok and tostring(err):find("column source holds a table"), tostring(err))
-- A column only a later row has is still a column.
assert(csv.encode({ { a = 1 }, { a = 2, b = "x" } }) == "a,b\r\n1,\r\n2,x\r\n")
-- The error points at the script's line, whichever function was called.
local function line_of(f, ...)
  local _, e = pcall(f, ...)
  return tostring(e):match("csv_test.lua:(%d+):")
end
local here = debug.getinfo(1, "l").currentline
assert(tonumber(line_of(function() local t = csv.encode({ { x = {} } }); return t end)) == here + 1, "encode's error line")
assert(tonumber(line_of(function() local p = csv.write(os.tmpname(), { { x = {} } }); return p end)) == here + 2, "write's error line")
assert(not pcall(csv.encode, "rows"))
assert(not pcall(csv.encode, { 1, 2 }))
local path = os.tmpname()
assert(csv.write(path, rows, { columns = { "source" } }) == path)
local f = assert(io.open(path, "rb"))
assert(f:read("a") == 'source\r\nLinkedIn\r\n"Say ""hi"", please"\r\n"Two\nlines"\r\n')
f:close()
os.remove(path)
return "ok"
