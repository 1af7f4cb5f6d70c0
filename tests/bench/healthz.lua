-- healthz — wrk script for GET /healthz (the HTTP ceiling of issue 2's
-- ratio): the request is wrk's default; this script only prints the
-- figures as KEY=value lines for tests/bench/run.sh.

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK_REQUESTS=%d\nWRK_RPS=%.0f\nWRK_P50_MS=%.3f\nWRK_P99_MS=%.3f\n" ..
                         "WRK_NON2XX=%d\nWRK_SOCKET_ERRORS=%d\n",
                         summary.requests, summary.requests / (summary.duration / 1e6),
                         latency:percentile(50) / 1000, latency:percentile(99) / 1000,
                         e.status, e.connect + e.read + e.write + e.timeout))
end
