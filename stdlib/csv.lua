-- ashby.csv: rows as CSV text (RFC 4180: CRLF line ends, a field with a comma, a quote or a line
-- break quoted, quotes doubled), for a spreadsheet or a report's attachment.
-- Available as `ashby.csv` and require("ashby.csv").
local csv = {}

local function field(value, column)
  local kind = type(value)
  local text
  if value == nil then
    text = ""
  elseif kind == "string" then
    text = value
  elseif kind == "number" then
    text = (math.type(value) == "integer" or value ~= math.floor(value) or math.abs(value) >= 1e15)
      and tostring(value) or ("%d"):format(value)
  elseif kind == "boolean" then
    text = tostring(value)
  else
    error(("ashby.csv: column %s holds a %s; give text, a number or a boolean"):format(tostring(column), kind), 4)
  end
  if text:find('[,"\r\n]') then text = '"' .. text:gsub('"', '""') .. '"' end
  return text
end

--- The columns of rows that are tables by name: the first row's keys, in order.
local function columns_of(rows)
  local first = rows[1]
  if type(first) ~= "table" or #first > 0 then return nil end
  local names = {}
  for k in pairs(first) do
    if type(k) == "string" then names[#names + 1] = k end
  end
  table.sort(names)
  return names
end

--- CSV text of `rows`: a list of tables by column name (`columns` picks and orders them; by
--- default the first row's names, sorted) or of lists (one field each). A header line comes
--- first unless `header = false`.
function csv.encode(rows, opts)
  if type(rows) ~= "table" then error("ashby.csv.encode: argument 1 must be a list of rows", 2) end
  opts = opts or {}
  if type(opts) ~= "table" then error("ashby.csv.encode: argument 2 must be a table of options", 2) end
  local columns = opts.columns or columns_of(rows)
  if columns ~= nil and type(columns) ~= "table" then error("ashby.csv.encode: columns must be a list of names", 2) end
  local lines = {}
  if columns and opts.header ~= false then
    local cells = {}
    for i, name in ipairs(columns) do cells[i] = field(tostring(name), i) end
    lines[#lines + 1] = table.concat(cells, ",")
  end
  for n, row in ipairs(rows) do
    if type(row) ~= "table" then error(("ashby.csv.encode: row %d is a %s, not a table"):format(n, type(row)), 2) end
    local cells = {}
    if columns and #row == 0 then
      for i, name in ipairs(columns) do cells[i] = field(row[name], name) end
    else
      for i = 1, #row do cells[i] = field(row[i], i) end
    end
    lines[#lines + 1] = table.concat(cells, ",")
  end
  return #lines == 0 and "" or table.concat(lines, "\r\n") .. "\r\n"
end

--- Writes the CSV text of `rows` to `path` and returns the path.
function csv.write(path, rows, opts)
  if type(path) ~= "string" or path == "" then error("ashby.csv.write: argument 1 must be a file path", 2) end
  local text = csv.encode(rows, opts)
  if type(io) ~= "table" or type(rawget(io, "open")) ~= "function" then
    error("ashby.csv.write needs to write a file, which a sandboxed run cannot: io.write(ashby.csv.encode(rows)) writes it to standard output instead", 2)
  end
  local f, err = io.open(path, "wb")
  if not f then error("ashby.csv.write: " .. tostring(err), 2) end
  f:write(text)
  f:close()
  return path
end

return csv
