#!/usr/bin/env bash
# Load benchmark of `gazette serve` (issue 7), not a test: wrk on loopback against an index of
# a news set from ../shared/corpora, at 1, 8 and 64 connections, for a mixed query set made
# from the corpus (one to three title words, some as phrases, some with a language or date
# filter), first idle, then while a writer adds articles through the API.
#
#   bench/serve_load.sh [CORPUS_DIR]     (default: ../shared/corpora/news-ar-saudinewsnet)
#
# Needs wrk (apt-get install wrk), zstd, curl, python3. Prints one table row per run, in
# BENCHMARKS.md's format. DURATION (default 20s) sets the length of each run.
set -euo pipefail
cd "$(dirname "$0")/.."
CORPUS=${1:-../shared/corpora/news-ar-saudinewsnet}
DURATION=${DURATION:-20s}
WORK=${WORK:-target/bench-serve}
PORT=${PORT:-7791}
BIN=target/release/gazette
NAME=$(basename "$CORPUS")
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }

cargo build --release --locked --quiet
mkdir -p "$WORK"
INDEX="$WORK/index-$NAME"
if [ ! -f "$INDEX/gazette.json" ]; then
  rm -rf "$INDEX"
  "$BIN" --index "$INDEX" index "$CORPUS/articles.jsonl.zst" --threads 2
fi

# Queries from the corpus: title words (Unicode letters, 3+ characters), 1–3 per query,
# a fifth of them quoted phrases, a fifth with a date or language filter.
python3 - "$CORPUS/articles.jsonl.zst" "$WORK/queries-$NAME.txt" "$WORK/writes-$NAME.jsonl" <<'PY'
import json, random, re, subprocess, sys, urllib.parse
src, out, writes = sys.argv[1:4]
raw = subprocess.run(["zstd", "-dc", src], check=True, capture_output=True).stdout.decode()
rows = [json.loads(l) for l in raw.splitlines() if l.strip()]
rnd = random.Random(7)
sample = rnd.sample(rows, 400)
queries = []
for i, r in enumerate(sample):
    words = [w for w in re.findall(r"\w{3,}", r.get("title") or "") if not w.isdigit()]
    if not words:
        continue
    n = rnd.choice([1, 1, 2, 2, 3])
    start = rnd.randrange(max(1, len(words) - n + 1))
    q = " ".join(words[start:start + n])
    if i % 5 == 0 and n > 1:
        q = '"' + q + '"'
    params = {"q": q, "limit": "10"}
    if i % 5 == 1:
        params["since"] = (r.get("date") or "2010-01-01")[:4] + "-01-01"
    if i % 5 == 2 and r.get("lang"):
        params["lang"] = r["lang"]
    queries.append("/search?" + urllib.parse.urlencode(params))
open(out, "w").write("\n".join(queries) + "\n")
# Articles for the writer: copies of corpus articles under new ids.
with open(writes, "w") as f:
    for i, r in enumerate(rnd.sample(rows, 2000)):
        r = dict(r); r["id"] = f"bench-write-{i}"
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
print(f"{len(queries)} queries, 2000 articles to write", file=sys.stderr)
PY

cp bench/rotate.lua "$WORK/rotate.lua"

KEY=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
GAZETTE_API_KEY=$KEY "$BIN" --index "$INDEX" serve --addr "127.0.0.1:$PORT" 2>"$WORK/serve.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
ARTICLES=$(curl -sf "127.0.0.1:$PORT/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["articles"])')
echo "index: $NAME, $ARTICLES articles; $(wc -l < "$WORK/queries-$NAME.txt") queries; runs of $DURATION" >&2

# Warm up the page cache and the server.
wrk -t1 -c4 -d5s -s "$WORK/rotate.lua" "http://127.0.0.1:$PORT" -- "$WORK/queries-$NAME.txt" >/dev/null

writer() {
  # Batches of 20 articles, each POST committed, back to back until killed.
  local i=0 ok=0 fail=0
  while true; do
    sed -n "$((i * 20 % 2000 + 1)),$((i * 20 % 2000 + 20))p" "$WORK/writes-$NAME.jsonl" > "$WORK/batch.jsonl"
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" \
      --data-binary @"$WORK/batch.jsonl" "127.0.0.1:$PORT/articles")
    if [ "$code" = 200 ]; then ok=$((ok + 1)); else fail=$((fail + 1)); fi
    echo "$ok $fail" > "$WORK/writer.count"
    i=$((i + 1))
  done
}

run() { # connections, label
  local c=$1 label=$2 t=2
  [ "$c" -lt 2 ] && t=1
  local line
  line=$(wrk -t$t -c"$c" -d"$DURATION" --timeout 10s -s "$WORK/rotate.lua" \
    "http://127.0.0.1:$PORT" -- "$WORK/queries-$NAME.txt" | grep '^RESULT')
  echo "$label $c $line"
}

echo "| corpus | load | connections | requests/s | p50 ms | p99 ms | requests | errors |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for c in 1 8 64; do
  run "$c" "searches" | awk -v n="$NAME" '{split($4,a,"=");split($5,b,"=");split($6,d,"=");split($7,r,"=");split($8,e,"=");
    printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", n, $1, $2, a[2], b[2], d[2], r[2], e[2]}'
done
writer &
WRITER=$!
for c in 1 8 64; do
  run "$c" "searches+writer" | awk -v n="$NAME" '{split($4,a,"=");split($5,b,"=");split($6,d,"=");split($7,r,"=");split($8,e,"=");
    printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", n, $1, $2, a[2], b[2], d[2], r[2], e[2]}'
done
kill $WRITER; wait $WRITER 2>/dev/null || true
read -r OK FAIL < "$WORK/writer.count"
echo "writer: $OK batches of 20 articles committed ($((OK * 20)) upserts), $FAIL failed" >&2
kill -TERM $SERVER; wait $SERVER || true
trap - EXIT
grep -iE 'error|panic' "$WORK/serve.log" >&2 || echo "server log: no errors" >&2
