-- Appointment events for linked charts CH0000001..: each visit completed on
-- time, so the practice's rules pay kept and on-time points.
-- Args: <mode: batch|single> <rows per call> <chart count> <id prefix> <start time>
local mode, rows, charts, prefix, start, n = "batch", 1000, 1000, "A", "", 0
function setup(thread)
  tid_counter = (tid_counter or 0) + 1
  thread:set("tid", tid_counter)
end
function init(args)
  mode, rows, charts, prefix, start = args[1], tonumber(args[2]), tonumber(args[3]), args[4], args[5]
  math.randomseed(os.time() * 100 + (tid or 0))
  wrk.headers["Content-Type"] = "application/json"
end
local function fields()
  return string.format(
    '"starts_at": "%s", "length_minutes": 30, "type_code": "ADJ", "type_label": "Adjustment", ' ..
    '"status": "completed", "arrived_at": "%s", "completed_at": "%s"', start, start, start)
end
local function chart()
  return string.format("CH%07d", math.random(1, charts))
end
function request()
  n = n + 1
  if mode == "single" then
    local path = string.format("/api/v1/pms/orthotrac/patients/%s/appointments/%s-%d-%d",
      chart(), prefix, tid, n)
    return wrk.format("PUT", path, nil, "{" .. fields() .. ', "pms_user": "BENCH"}')
  end
  local parts = {}
  for i = 1, rows do
    parts[i] = string.format('{"chart_id": "%s", "appointment_id": "%s-%d-%d-%d", %s}',
      chart(), prefix, tid, n, i, fields())
  end
  local body = '{"pms_user": "BENCH", "appointments": [' .. table.concat(parts, ",") .. "]}"
  return wrk.format("POST", "/api/v1/pms/orthotrac/appointments:batch", nil, body)
end
