#!/usr/bin/env bash
# Soak test of `gazette serve` (issue 9), a benchmark, not CI: the UN General Debate corpus
# under wrk on loopback, 64 connections of mixed queries for MINUTES (default 10) one-minute
# rounds, while a writer posts one article and deletes an older one every second. Every posted
# article must be searchable once its POST has answered (the POST commits), and every deleted
# one gone. Prints one row per minute: requests/s, p50 and p99 latency, errors, the server's
# RSS at the end of the minute, and the writer's counts.
#
#   bench/soak.sh [CORPUS_DIR]     (default: ../shared/corpora/policy-un-general-debates)
#
# Needs wrk (apt-get install wrk), zstd, curl, python3. CONNECTIONS (64) and MINUTES (10)
# change the load and its length; BUILD=0 uses target/release/gazette as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${1:-../shared/corpora/policy-un-general-debates}
MINUTES=${MINUTES:-10}
CONNECTIONS=${CONNECTIONS:-64}
WORK=${WORK:-target/bench-soak}
PORT=${PORT:-7792}
BIN=target/release/gazette
NAME=$(basename "$CORPUS")
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }

if [ "${BUILD:-1}" = 1 ]; then cargo build --release --locked --quiet; fi
mkdir -p "$WORK"
INDEX="$WORK/index-$NAME"
if [ ! -f "$INDEX/gazette.json" ]; then
  rm -rf "$INDEX"
  /usr/bin/time -f "index built in %e s, peak RSS %M KB" \
    "$BIN" --index "$INDEX" index "$CORPUS/articles.jsonl.zst" --threads 2
fi

# Mixed queries from the corpus titles and bodies: words, phrases, prefixes, boolean
# operators, filters, deep pages.
python3 - "$CORPUS/articles.jsonl.zst" "$WORK/queries.txt" <<'PY'
import json, random, re, subprocess, sys, urllib.parse
src, out = sys.argv[1:3]
raw = subprocess.run(["zstd", "-dc", src], check=True, capture_output=True).stdout.decode()
rows = [json.loads(l) for l in raw.splitlines() if l.strip()]
rnd = random.Random(9)
queries = []
for i, r in enumerate(rnd.sample(rows, min(500, len(rows)))):
    words = [w for w in re.findall(r"[^\W\d_]{4,}", (r.get("body") or "")[:3000])]
    if len(words) < 3:
        continue
    n = rnd.choice([1, 1, 2, 2, 3])
    start = rnd.randrange(len(words) - n + 1)
    q = " ".join(words[start:start + n])
    kind = i % 8
    if kind == 0 and n > 1:
        q = '"' + q + '"'
    elif kind == 1:
        q = words[start][:4] + "*"
    elif kind == 2 and n > 1:
        q = " AND ".join(words[start:start + n])
    elif kind == 3 and n > 1:
        q = words[start] + " -" + words[start + 1]
    params = {"q": q, "limit": rnd.choice(["10", "10", "20", "100"])}
    if kind == 4:
        params["since"] = str(rnd.randrange(1970, 2016)) + "-01-01"
    if kind == 5:
        params["offset"] = str(rnd.choice([10, 50, 200]))
    if kind == 6:
        params["facets"] = "false"
    queries.append("/search?" + urllib.parse.urlencode(params))
open(out, "w").write("\n".join(queries) + "\n")
print(f"{len(queries)} queries", file=sys.stderr)
PY

cp bench/rotate.lua "$WORK/rotate.lua"

# The writer: every second, post one article (committed before the answer), check that a
# search finds it, delete the one posted 5 seconds earlier and check that it is gone.
cat > "$WORK/writer.py" <<'PY'
import json, sys, time, urllib.request, urllib.error
base, key, counts = sys.argv[1:4]
auth = {"Authorization": "Bearer " + key}
def call(method, path, body=None):
    req = urllib.request.Request(base + path, data=body, method=method, headers=auth)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, None
    except Exception:
        return 0, None
posted = deleted = errors = missing = 0
i = 0
while True:
    t0 = time.time()
    token = f"soaktoken{i}x"
    art = {"id": f"soak-{i}", "title": f"Soak article {i}",
           "body": f"General debate statement {token} on sustainable development and peace.",
           "lang": "en"}
    code, _ = call("POST", "/articles", json.dumps(art).encode())
    if code == 200:
        posted += 1
        code, res = call("GET", f"/search?q={token}&facets=false")
        if code != 200:
            errors += 1
        elif not res["hits"] or res["hits"][0]["id"] != f"soak-{i}":
            missing += 1
    else:
        errors += 1
    if i >= 5:
        old = i - 5
        code, _ = call("DELETE", f"/articles/soak-{old}")
        if code == 200:
            deleted += 1
            code, res = call("GET", f"/search?q=soaktoken{old}x&facets=false")
            if code != 200:
                errors += 1
            elif res["total_hits"] != 0:
                missing += 1
        else:
            errors += 1
    i += 1
    with open(counts, "w") as f:
        f.write(f"{posted} {deleted} {errors} {missing}\n")
    time.sleep(max(0.0, 1.0 - (time.time() - t0)))
PY

KEY=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
GAZETTE_API_KEY=$KEY "$BIN" --index "$INDEX" serve --addr "127.0.0.1:$PORT" 2>"$WORK/serve.log" &
SERVER=$!
WRITER=
cleanup() { [ -n "$WRITER" ] && kill "$WRITER" 2>/dev/null; kill "$SERVER" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 200); do curl -sf "127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
ARTICLES=$(curl -sf "127.0.0.1:$PORT/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["articles"])')
rss() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$SERVER/status"; }
echo "index: $NAME, $ARTICLES articles; $(wc -l < "$WORK/queries.txt") queries; $CONNECTIONS connections; $MINUTES minutes; RSS at start $(rss) MB" >&2

wrk -t2 -c8 -d10s -s "$WORK/rotate.lua" "http://127.0.0.1:$PORT" -- "$WORK/queries.txt" >/dev/null
echo "RSS after warm-up: $(rss) MB" >&2
python3 "$WORK/writer.py" "http://127.0.0.1:$PORT" "$KEY" "$WORK/writer.count" &
WRITER=$!

echo "| minute | requests/s | p50 ms | p99 ms | requests | socket errors | timeouts | non-2xx | RSS MB | posted | deleted | writer errors | not found / not gone |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for m in $(seq "$MINUTES"); do
  read -r _ RPS P50 P99 REQ _ SOCK TIMEOUTS STATUS < <(wrk -t2 -c"$CONNECTIONS" -d60s --timeout 10s -s "$WORK/rotate.lua" \
    "http://127.0.0.1:$PORT" -- "$WORK/queries.txt" | grep '^RESULT')
  # key=value figures (bench/rotate.lua): keep the values.
  RPS=${RPS#*=} P50=${P50#*=} P99=${P99#*=} REQ=${REQ#*=}
  SOCK=${SOCK#*=} TIMEOUTS=${TIMEOUTS#*=} STATUS=${STATUS#*=}
  read -r POSTED DELETED WERR MISSING < "$WORK/writer.count"
  echo "| $m | $RPS | $P50 | $P99 | $REQ | $SOCK | $TIMEOUTS | $STATUS | $(rss) | $POSTED | $DELETED | $WERR | $MISSING |"
done
kill "$WRITER"; wait "$WRITER" 2>/dev/null || true
WRITER=
kill -TERM "$SERVER"; wait "$SERVER" || true
trap - EXIT
grep -iE 'error|panic' "$WORK/serve.log" >&2 || echo "server log: no errors" >&2
