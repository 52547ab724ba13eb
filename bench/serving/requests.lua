-- wrk script of the serving benchmark (bench/serving.ts writes the requests file it reads).
-- Each line of BENCH_REQUESTS_FILE is one request: "GET <path>" or "POST <path> <json body>".
-- Requests are pre-formatted in init() and rotated (each thread from its own offset), so that
-- wrk spends no CPU building them. done() prints one JSON line the runner parses.
local requests = {}
local index = 1
local thread_count = 0

function setup(thread)
  thread:set("offset", thread_count)
  thread_count = thread_count + 1
end

function init(_)
  local headers = {}
  local token = os.getenv("BENCH_TOKEN")
  if token and token ~= "" then headers["Authorization"] = "Bearer " .. token end
  local file = assert(io.open(os.getenv("BENCH_REQUESTS_FILE"), "r"))
  for line in file:lines() do
    local method, path, body = line:match("^(%u+) (%S+) ?(.*)$")
    if body == "" then
      body = nil
      headers["Content-Type"] = nil
    else
      headers["Content-Type"] = "application/json"
    end
    requests[#requests + 1] = wrk.format(method, path, headers, body)
  end
  file:close()
  assert(#requests > 0, "no requests")
  -- Spread the threads over the list; `offset` is set by setup() before init() runs.
  index = ((tonumber(offset) or 0) * 7919) % #requests + 1
end

function request()
  local r = requests[index]
  index = index % #requests + 1
  return r
end

function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"mean_us":%.1f,' ..
    '"max_us":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,' ..
    '"status_errors":%d,"timeouts":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.mean, latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
