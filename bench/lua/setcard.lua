-- POST set card: a new chart with a new issued card each time.
-- Args: <file of card numbers> <wrk threads> <chart prefix>
local cards, nthreads, prefix, n = {}, 1, "NEW", 0
function setup(thread)
  tid_counter = (tid_counter or 0) + 1
  thread:set("tid", tid_counter)
end
function init(args)
  for line in io.lines(args[1]) do cards[#cards + 1] = line end
  nthreads = tonumber(args[2])
  prefix = args[3]
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end
function request()
  local index = n * nthreads + tid
  n = n + 1
  local card = cards[((index - 1) % #cards) + 1]
  local body = string.format(
    '{"card": "%s", "first_name": "Bench", "last_name": "Patient%d", "pms_user": "BENCH"}',
    card, index)
  local path = string.format("/api/v1/pms/orthotrac/patients/%s-%d-%d/card", prefix, tid, n)
  return wrk.format(nil, path, nil, body)
end
