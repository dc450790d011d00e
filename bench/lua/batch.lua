-- POST patients:batch with new charts. Args: <rows per request> <chart prefix>
local rows, prefix, n = 1000, "B", 0
function setup(thread)
  tid_counter = (tid_counter or 0) + 1
  thread:set("tid", tid_counter)
end
function init(args)
  rows = tonumber(args[1])
  prefix = args[2]
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end
function request()
  n = n + 1
  local parts = {}
  for i = 1, rows do
    parts[i] = string.format(
      '{"chart_id": "%s-%d-%d-%d", "first_name": "Onboard", "last_name": "Patient%d", ' ..
      '"birth_date": "2012-03-04", "phone_mobile": "770-555-0100", "pms_status": "Active Tx"}',
      prefix, tid, n, i, i)
  end
  local body = '{"pms_user": "BENCH", "patients": [' .. table.concat(parts, ",") .. "]}"
  return wrk.format(nil, "/api/v1/pms/orthotrac/patients:batch", nil, body)
end
