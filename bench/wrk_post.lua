-- wrk script: POST pre-signed requests from a file, each thread its own share, none twice.
-- File format, per request: "<signature> <timestamp> <body length>\n" then the body bytes.
-- Environment: BENCH_REQUESTS (file), BENCH_PATH (URL path), BENCH_THREADS (wrk -t value).

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
  local path = os.getenv("BENCH_PATH")
  local f = assert(io.open(os.getenv("BENCH_REQUESTS"), "rb"))
  reqs = {}
  local index = 0
  while true do
    local line = f:read("*l")
    if not line then break end
    local sig, ts, len, ctype = line:match("^(%S+) (%S+) (%d+) (.+)$")
    local body = f:read(tonumber(len))
    if index % nthreads == id then
      local headers = {
        ["Content-Type"] = ctype,
        ["X-Twilio-Email-Event-Webhook-Signature"] = sig,
        ["X-Twilio-Email-Event-Webhook-Timestamp"] = ts,
      }
      table.insert(reqs, wrk.format("POST", path, headers, body))
    end
    index = index + 1
  end
  f:close()
  n = 0
  wrapped = 0
end

function request()
  n = n + 1
  if n > #reqs then
    n = 1
    wrapped = wrapped + 1
  end
  return reqs[n]
end

function done(summary, latency, requests)
  local wraps = 0
  for _, t in ipairs(threads) do
    wraps = wraps + (t:get("wrapped") or 0)
  end
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "seconds": %.3f, "non2xx": %d, "socket_errors": %d, '
      .. '"p50_ms": %.3f, "p99_ms": %.3f, "wrapped": %d}\n',
    summary.requests, summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, wraps))
end
