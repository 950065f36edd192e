-- POST /api/v1/sessions/ (and the write floor, which ignores the body) with a rotating
-- token and a fresh client_id per request.
-- STARTED_AT / ENDED_AT (ISO 8601 with offset) and ROUTINE_ID come from the environment.
local creds = {}
local counter = 0
local started_at = os.getenv("STARTED_AT")
local ended_at = os.getenv("ENDED_AT")
local routine = os.getenv("ROUTINE_ID")

function setup(thread)
  thread:set("seed", math.random(1, 2^30))
end

function init(args)
  math.randomseed(seed + os.time())
  for line in io.lines(os.getenv("CREDENTIALS_FILE")) do
    local name, value = line:match("^([^:]+):%s*(.*)$")
    creds[#creds + 1] = {name, value}
  end
  counter = math.random(#creds)
end

local function uuid4()
  return string.format("%08x-%04x-4%03x-%04x-%06x%06x",
    math.random(0, 0xffffffff), math.random(0, 0xffff), math.random(0, 0xfff),
    math.random(0x8000, 0xbfff), math.random(0, 0xffffff), math.random(0, 0xffffff))
end

function request()
  counter = counter % #creds + 1
  local headers = {["Content-Type"] = "application/json"}
  headers[creds[counter][1]] = creds[counter][2]
  local body = string.format(
    '{"client_id": "%s", "routine": %s, "started_at": "%s", "ended_at": "%s", ' ..
    '"tension_before": 6, "tension_after": 3, "rating": 4, "sides": "both"}',
    uuid4(), routine, started_at, ended_at)
  return wrk.format("POST", wrk.path, headers, body)
end
