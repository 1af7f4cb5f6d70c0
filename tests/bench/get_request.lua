-- get_request — wrk script: GET /api/v1/requests/{ref} as the coordinator,
-- each request on a reference drawn at random (uniformly) from the set made
-- by bench_gen. Arguments after "--": TOKEN REFS, where REFS is bench_gen's
-- BENCH_REFS ("2019:142734,2020:143141,…": references 1..count per year).
-- Prints the figures as KEY=value lines for tests/bench/run.sh.

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "refs.lua")

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_no", #threads)
end

function init(args)
  local token, refs = args[1], args[2]
  if not token or not refs then
    error("usage: wrk ... -s get_request.lua URL -- TOKEN REFS")
  end
  local total
  total, pick = refs_picker(refs)
  if total == 0 then error("REFS: no reference") end
  math.randomseed(os.time() * 1000 + (thread_no or 0) * 7919)
  -- The request text around the reference, formatted once by wrk.
  wrk.headers["Authorization"] = "Bearer " .. token
  local text = wrk.format("GET", "/api/v1/requests/@REF@")
  local at = string.find(text, "@REF@", 1, true)
  head, tail = string.sub(text, 1, at - 1), string.sub(text, at + 5)
end

function request()
  return head .. pick() .. tail
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK_REQUESTS=%d\nWRK_RPS=%.0f\nWRK_P50_MS=%.3f\nWRK_P99_MS=%.3f\n" ..
                         "WRK_NON2XX=%d\nWRK_SOCKET_ERRORS=%d\n",
                         summary.requests, summary.requests / (summary.duration / 1e6),
                         latency:percentile(50) / 1000, latency:percentile(99) / 1000,
                         e.status, e.connect + e.read + e.write + e.timeout))
end
