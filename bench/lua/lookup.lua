-- GET a random linked chart's status. Args: <profile count> <chart prefix>
local count, prefix
function setup(thread)
  tid_counter = (tid_counter or 0) + 1
  thread:set("tid", tid_counter)
end
function init(args)
  count = tonumber(args[1])
  prefix = args[2] or "CH"
  math.randomseed(os.time() * 100 + (tid or 0))
end
function request()
  local chart = string.format("%s%07d", prefix, math.random(1, count))
  return wrk.format("GET", "/api/v1/pms/orthotrac/patients/" .. chart)
end
