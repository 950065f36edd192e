-- GET with a rotating credential: one header line per member, read from CREDENTIALS_FILE.
-- Each line is a full header, e.g. "Authorization: Token abc" or "Cookie: sessionid=xyz".
local creds = {}
local counter = 0

function init(args)
  local path = os.getenv("CREDENTIALS_FILE")
  for line in io.lines(path) do
    local name, value = line:match("^([^:]+):%s*(.*)$")
    creds[#creds + 1] = {name, value}
  end
  counter = math.random(#creds)
end

function request()
  counter = counter % #creds + 1
  local headers = {}
  headers[creds[counter][1]] = creds[counter][2]
  return wrk.format("GET", wrk.path, headers)
end
