-- Tests for ashby.csv: RFC 4180 quoting, columns, header, errors.
local csv = require("ashby.csv")

local rows = {
  { source = "LinkedIn", applications = 12, rate = 0.25 },
  { source = 'Say "hi", please', applications = 3, rate = 1.0 },
  { source = "Two\nlines", applications = 0 },
}
assert(csv.encode(rows, { columns = { "source", "applications" } }) ==
  'source,applications\r\nLinkedIn,12\r\n"Say ""hi"", please",3\r\n"Two\nlines",0\r\n')
-- Default columns: the first row's names, sorted; a missing value is an empty field; 1.0 is 1.
assert(csv.encode(rows) ==
  'applications,rate,source\r\n12,0.25,LinkedIn\r\n3,1,"Say ""hi"", please"\r\n0,,"Two\nlines"\r\n')
assert(csv.encode({ { 1, "a,b", true } }, { header = false }) == '1,"a,b",true\r\n')
assert(csv.encode({}) == "")
local ok, err = pcall(csv.encode, { { source = {} } })
assert(not ok and tostring(err):find("column source holds a table"), tostring(err))
assert(not pcall(csv.encode, "rows"))
assert(not pcall(csv.encode, { 1, 2 }))
local path = os.tmpname()
assert(csv.write(path, rows, { columns = { "source" } }) == path)
local f = assert(io.open(path, "rb"))
assert(f:read("a") == 'source\r\nLinkedIn\r\n"Say ""hi"", please"\r\n"Two\nlines"\r\n')
f:close()
os.remove(path)
return "ok"
