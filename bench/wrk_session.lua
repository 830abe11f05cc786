-- wrk as a signed-in user (bench/run.py): the session cookie comes from the environment, since
-- bench/run.py logs in once per user in Python (login form, CSRF token) and hands the cookie over.
--
--   WRK_COOKIE='session=...' [WRK_PATHS=/tmp/paths.txt] wrk -t1 -c20 -d10s -s bench/wrk_session.lua URL
--
-- WRK_PATHS, when set, names a file of paths (one a line) requested in turn (e.g. the company page
-- of 500 different companies); without it every request is the URL's path, and wrk builds that
-- request once (no Lua per request). done() prints one line, "WRK_JSON {...}", that bench/run.py
-- parses: requests/s, latency percentiles (ms), errors.

wrk.headers["Cookie"] = os.getenv("WRK_COOKIE") or ""
-- Flask-Login's strong session protection drops a session whose User-Agent (or address) changed.
wrk.headers["User-Agent"] = os.getenv("WRK_USER_AGENT") or "tracker-bench"

local paths_file = os.getenv("WRK_PATHS")
if paths_file and paths_file ~= "" then
  local paths = {}
  for line in io.lines(paths_file) do
    if line ~= "" then paths[#paths + 1] = line end
  end
  local turn = 0
  -- Defined only with a paths file: a script with request() makes wrk call Lua for every request.
  request = function()
    turn = turn % #paths + 1
    return wrk.format(nil, paths[turn])
  end
end

-- Every response that is not a 200 (a redirect to the login page is fast and would flatter the
-- figures), counted per thread and summed in done() (which runs in its own Lua state).
non_200 = 0
local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function response(status, headers, body)
  if status ~= 200 then non_200 = non_200 + 1 end
end

function done(summary, latency, requests)
  local others = 0
  for _, thread in ipairs(threads) do others = others + thread:get("non_200") end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "seconds": %.3f, "rps": %.2f, "p50_ms": %.2f, "p90_ms": %.2f, '
      .. '"p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, "mean_ms": %.2f, "errors": {"connect": %d, '
      .. '"read": %d, "write": %d, "status": %d, "timeout": %d}, "non_200": %d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000,
    e.connect, e.read, e.write, e.status, e.timeout, others))
end
