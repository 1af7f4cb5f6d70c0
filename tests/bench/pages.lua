-- pages — wrk script: HTML pages with a browser session (cookie), for
-- tests/bench/pages.sh. Arguments after "--": COOKIE PATH [REFS].
--   PATH without "@REF@": that page on every request (the board);
--   PATH with "@REF@" and REFS (bench_gen's "2019:142734,2020:…"): the
--   reference drawn at random for each request (request pages).
-- Prints KEY=value lines: requests, req/s, p50/p95/p99 in ms, answers other
-- than 2xx, socket errors.

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "refs.lua")

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_no", #threads)
end

function init(args)
  local cookie, path, refs = args[1], args[2], args[3]
  if not cookie or not path then
    error("usage: wrk ... -s pages.lua URL -- COOKIE PATH [REFS]")
  end
  wrk.headers["Cookie"] = "appui_session=" .. cookie
  wrk.headers["Accept"] = "text/html"
  local total
  total, pick = refs_picker(refs)
  math.randomseed(os.time() * 1000 + (thread_no or 0) * 7919)
  local text = wrk.format("GET", path)
  local at = string.find(text, "@REF@", 1, true)
  if at then
    if total == 0 then error("PATH has @REF@ but REFS is empty") end
    head, tail = string.sub(text, 1, at - 1), string.sub(text, at + 5)
  else
    fixed = text
  end
end

function request()
  if fixed then return fixed end
  return head .. pick() .. tail
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK_REQUESTS=%d\nWRK_RPS=%.0f\nWRK_P50_MS=%.3f\nWRK_P95_MS=%.3f\nWRK_P99_MS=%.3f\n" ..
                         "WRK_NON2XX=%d\nWRK_SOCKET_ERRORS=%d\n",
                         summary.requests, summary.requests / (summary.duration / 1e6),
                         latency:percentile(50) / 1000, latency:percentile(95) / 1000,
                         latency:percentile(99) / 1000, e.status, e.connect + e.read + e.write + e.timeout))
end
