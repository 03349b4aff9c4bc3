-- ashby.csv: rows as CSV text (RFC 4180: CRLF line ends, a field with a comma, a quote or a line
-- break quoted, quotes doubled), for a spreadsheet or a report's attachment.
-- Available as `ashby.csv` and require("ashby.csv").
local csv = {}

--- JSON's null (`ashby.json.null`), an empty field like nil.
local function is_null(value)
  local ashby = rawget(_G, "ashby")
  return type(value) == "userdata" and ashby ~= nil and ashby.json ~= nil and value == ashby.json.null
end

--- One field's text, quoted when it must be; `level` is where an error points (the script's call).
local function field(value, column, level)
  local kind = type(value)
  local text
  if value == nil or is_null(value) then
    text = ""
  elseif kind == "string" then
    text = value
  elseif kind == "number" then
    text = (math.type(value) == "integer" or value ~= math.floor(value) or math.abs(value) >= 1e15)
      and tostring(value) or ("%d"):format(value)
  elseif kind == "boolean" then
    text = tostring(value)
  else
    error(("ashby.csv: column %s holds a %s; give text, a number or a boolean"):format(tostring(column), kind), level)
  end
  if text:find('[,"\r\n]') then text = '"' .. text:gsub('"', '""') .. '"' end
  return text
end

--- The columns of rows that are tables by name: every name any row has, sorted (Ashby leaves out
--- a null field, so the first row alone could miss a column).
local function columns_of(rows)
  if type(rows[1]) ~= "table" or #rows[1] > 0 then return nil end
  local seen, names = {}, {}
  for _, row in ipairs(rows) do
    if type(row) == "table" then
      for k in pairs(row) do
        if type(k) == "string" and not seen[k] then
          seen[k] = true
          names[#names + 1] = k
        end
      end
    end
  end
  table.sort(names)
  return names
end

--- The text; errors point `level` frames up (the script's call of encode or write).
local function encode(rows, opts, level, name)
  if type(rows) ~= "table" then error(("ashby.csv.%s: the rows must be a list"):format(name), level) end
  opts = opts or {}
  if type(opts) ~= "table" then error(("ashby.csv.%s: the options must be a table"):format(name), level) end
  local columns = opts.columns or columns_of(rows)
  if columns ~= nil and type(columns) ~= "table" then
    error(("ashby.csv.%s: columns must be a list of names"):format(name), level)
  end
  local inner = level + 1  -- from field, one frame deeper
  local lines = {}
  if columns and opts.header ~= false then
    local cells = {}
    for i, column in ipairs(columns) do cells[i] = field(tostring(column), i, inner) end
    lines[#lines + 1] = table.concat(cells, ",")
  end
  for n, row in ipairs(rows) do
    if type(row) ~= "table" then
      error(("ashby.csv.%s: row %d is a %s, not a table"):format(name, n, type(row)), level)
    end
    local cells = {}
    if columns and #row == 0 then
      for i, column in ipairs(columns) do cells[i] = field(row[column], column, inner) end
    else
      for i = 1, #row do cells[i] = field(row[i], i, inner) end
    end
    lines[#lines + 1] = table.concat(cells, ",")
  end
  return #lines == 0 and "" or table.concat(lines, "\r\n") .. "\r\n"
end

--- CSV text of `rows`: a list of tables by column name (`columns` picks and orders them; by
--- default every name the rows have, sorted) or of lists (one field each). A header line comes
--- first unless `header = false`.
function csv.encode(rows, opts)
  local text = encode(rows, opts, 3, "encode")  -- not a tail call: the frame the level counts on stays
  return text
end

--- Writes the CSV text of `rows` to `path` and returns the path.
function csv.write(path, rows, opts)
  if type(path) ~= "string" or path == "" then error("ashby.csv.write: argument 1 must be a file path", 2) end
  local text = encode(rows, opts, 3, "write")
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
