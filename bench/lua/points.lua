-- POST misc points to one of a few hot charts. Args: <hot count> <chart prefix>
local hot, prefix
function setup(thread)
  tid_counter = (tid_counter or 0) + 1
  thread:set("tid", tid_counter)
end
function init(args)
  hot = tonumber(args[1])
  prefix = args[2]
  math.randomseed(os.time() * 100 + (tid or 0))
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end
function request()
  local chart = string.format("%s%d", prefix, math.random(0, hot - 1))
  local body = '{"amount": 5, "description": "Bench contention", "pms_user": "BENCH"}'
  return wrk.format(nil, "/api/v1/pms/orthotrac/patients/" .. chart .. "/points", nil, body)
end
