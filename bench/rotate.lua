-- wrk script shared by bench/serve_load.sh and bench/soak.sh: each connection walks the
-- request paths of the file given after `--` (one per line), from a random start, and the
-- run ends with one line of key=value figures:
--   RESULT rps=… p50_ms=… p99_ms=… requests=… errors=… socket=… timeouts=… non2xx=…
-- (`errors` is the sum of the three kinds after it.)
local queries = {}
local n = 0
init = function(args)
  for line in io.lines(args[1]) do n = n + 1; queries[n] = line end
  i = math.random(n)
end
request = function()
  i = i % n + 1
  return wrk.format("GET", queries[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  local socket = e.connect + e.read + e.write
  io.write(string.format(
    "RESULT rps=%.1f p50_ms=%.2f p99_ms=%.2f requests=%d errors=%d socket=%d timeouts=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.requests, socket + e.timeout + e.status,
    socket, e.timeout, e.status))
end
