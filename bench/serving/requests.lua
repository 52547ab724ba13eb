-- wrk script of the serving benchmark (bench/serving.ts writes the requests file it reads).
-- Each line of BENCH_REQUESTS_FILE is one request: "GET <path>" or "POST <path> <json body>".
-- Requests are pre-formatted in init() and rotated (each thread from its own offset), so that
-- wrk spends no CPU building them. done() prints one JSON line the runner parses.
local requests = {}
local index = 1
local threads = {}
-- Per thread: count of each non-2xx status ("503" -> n), read by done() to name the failures.
statuses = {}

function setup(thread)
  thread:set("offset", #threads)
  threads[#threads + 1] = thread
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

function response(status, _, _)
  if status < 200 or status > 299 then
    local key = tostring(status)
    statuses[key] = (statuses[key] or 0) + 1
  end
end

function done(summary, latency, _)
  local e = summary.errors
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses") or {}) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do parts[#parts + 1] = string.format('"%s":%d', status, n) end
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"mean_us":%.1f,' ..
    '"max_us":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,' ..
    '"status_errors":%d,"timeouts":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.mean, latency.max, e.connect, e.read, e.write, e.status, e.timeout, table.concat(parts, ",")))
end
