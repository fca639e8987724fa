#!/usr/bin/env bash
# Gazette beside raw Tantivy (../shared/anchors/raw-tantivy, default and en_stem tokenizers),
# measured in one run on the same corpus, with ratios. Prints Markdown tables on stdout,
# progress on stderr.
#
#   bench/run.sh CORPUS.jsonl[.zst] [QUERIES.txt]
#
# 1. Indexing: wall and CPU time, MB of title+body text per second, peak RSS
#    (/usr/bin/time), index size.
# 2. With QUERIES (one query per line): in-process query latency p50/p95/p99 over the set
#    (index opened once, one warm-up pass, per-query median of ROUNDS passes):
#    raw Tantivy top 10 (`rt query … search`) and with SnippetGenerator (`… snippet`);
#    Gazette (examples/latency.rs) without passages (`--passages 0`) and with one
#    highlighted passage per hit (`--passages 1`).
# 3. With QUERIES: `gazette search` as a whole process on the warm index (hyperfine, the
#    first CLI_QUERIES queries, pooled median), beside `rt cli`.
# 4. With SCALES (e.g. "1 2 4"): Gazette indexing the corpus concatenated k times with
#    fresh ids (time should grow linearly, peak memory stay flat).
#
# Environment: SHARED (path to shared/), REPS (index runs per engine, median kept; default
# 1), HEAP_MB (both engines; default 256, Gazette's default), THREADS (default 2), ENGINES
# (default "raw-default raw-en_stem gazette"; add gazette-plain for Gazette with
# lowercasing-only analysis, and gazette-base for the binary named by BASE_BIN, e.g. a build of
# an earlier commit, for before/after figures in one run), ROUNDS (default 3), CLI_QUERIES (default 10), CLI_RUNS
# (hyperfine runs per query; default 10), SCALES (default: none), RT_DIR (where the
# reference program is copied and built; default target/raw-tantivy), KEEP (a directory
# to keep the indexes in; default: a temporary one, removed at the end), BUILD=0 (use the
# binaries as built).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED:-$repo/../shared}
corpus=${1:?usage: bench/run.sh CORPUS.jsonl[.zst] [QUERIES.txt]}
queries=${2:-}
reps=${REPS:-1}
heap_mb=${HEAP_MB:-256}
threads=${THREADS:-2}
rounds=${ROUNDS:-3}
engines=${ENGINES-raw-default raw-en_stem gazette}
if [ -n "${KEEP:-}" ]; then
  work=$KEEP
  mkdir -p "$work"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
name=$(basename "$(dirname "$corpus")")

rtdir=${RT_DIR:-$repo/target/raw-tantivy}
if [ "${BUILD:-1}" != 0 ]; then
  echo "building gazette, examples/latency and raw-tantivy (release)…" >&2
  (cd "$repo" && cargo build --release --locked -q --bin gazette --example latency)
  [ -d "$rtdir" ] || cp -r "$shared/anchors/raw-tantivy" "$rtdir"
  (cd "$rtdir" && cargo build --release -q 2>/dev/null)
fi
gz="$repo/target/release/gazette"
lat="$repo/target/release/examples/latency"
rt="$rtdir/target/release/rt"

py() { python3 -c "$@"; }
json_field() { py 'import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])[sys.argv[1]])' "$1"; }

# index ENGINE CORPUS IDX → prints "wall user sys rss_kb index_bytes"
index() {
  local engine=$1 input=$2 idx=$3
  rm -rf "$idx"
  case "$engine" in
    gazette|gazette-plain|gazette-base)
      local profile=standard bin=$gz
      [ "$engine" = gazette-plain ] && profile=plain
      [ "$engine" = gazette-base ] && bin=${BASE_BIN:?gazette-base needs BASE_BIN}
      /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$bin" --index "$idx" index --heap "$heap_mb" \
        --threads "$threads" --analysis "$profile" "$input" 2>"$work/out" >/dev/null
      ;;
    raw-default|raw-en_stem)
      /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$rt" index "$idx" "$input" \
        --tokenizer "${engine#raw-}" --threads "$threads" --heap $((heap_mb * 1024 * 1024)) 2>"$work/out"
      ;;
  esac
  read -r wall user sys rss < "$work/time"
  echo "$wall $user $sys $rss $(du -sb "$idx" | cut -f1)"
}

# Text bytes (title + body), as the anchors count them: from raw Tantivy's own report.
echo "measuring the text of $name…" >&2
"$rt" index "$work/probe" "$corpus" --tokenizer default --threads "$threads" 2>"$work/probe.json"
text_bytes=$(json_field text_bytes < "$work/probe.json")
rm -rf "$work/probe"
mb=$(py "print($text_bytes/1e6)")

[ -n "$engines" ] && { echo
echo "### Indexing: $name ($(printf '%.1f' "$mb") MB of text; $threads threads, ${heap_mb} MB heap, median of $reps)"
echo
echo "| engine | wall s | MB/s | CPU s | CPU/wall | peak RSS MB | index MB | index/text | vs raw en_stem | vs raw default | index size vs raw en_stem |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"; }
declare -A walls=() sizes=()
for engine in $engines; do
  echo "indexing with $engine…" >&2
  : > "$work/runs"
  for _ in $(seq "$reps"); do index "$engine" "$corpus" "$work/idx-$engine" >> "$work/runs"; done
  line=$(sort -n "$work/runs" | awk -v m=$(((reps + 1) / 2)) 'NR==m')
  read -r wall user sys rss size <<< "$line"
  walls[$engine]=$wall
  sizes[$engine]=$size
  py "
wall, user, sys, rss, size, tb = $wall, $user, $sys, $rss, $size, $text_bytes
def ratio(other, mine, fmt='{:.2f}×'):
    return fmt.format(other / mine) if other else ''
en, de, en_size = ${walls[raw-en_stem]:-0}, ${walls[raw-default]:-0}, ${sizes[raw-en_stem]:-0}
print(f'| $engine | {wall:.2f} | {tb/1e6/wall:.1f} | {user+sys:.1f} | {(user+sys)/wall:.2f} | {rss//1024} '
      f'| {size/1e6:.0f} | {size/tb:.2f} | {ratio(en, wall)} | {ratio(de, wall)} | {ratio(size, en_size) if en_size else \"\"} |')
"
done

if [ -n "$queries" ]; then
  echo
  echo "### In-process query latency: $name, $(grep -c . "$queries") queries ($(basename "$queries")), top 10, median of $rounds rounds"
  echo
  echo "| engine | mode | p50 ms | p95 ms | p99 ms | mean ms | open ms |"
  echo "|---|---|---:|---:|---:|---:|---:|"
  declare -A p50=() p99=()
  for engine in $engines; do
    [ -d "$work/idx-$engine" ] || continue
    case "$engine" in
      raw-*) modes="search snippet" ;;
      gazette-base) continue ;; # examples/latency runs the current library only
      gazette*) modes="passages=0 passages=1" ;;
    esac
    for mode in $modes; do
      echo "querying $engine ($mode)…" >&2
      case "$engine" in
        raw-*) "$rt" query "$work/idx-$engine" "$queries" --mode "$mode" --rounds "$rounds" 2>"$work/q.json" ;;
        gazette*) "$lat" "$work/idx-$engine" "$queries" --passages "${mode#passages=}" --rounds "$rounds" >"$work/q.json" ;;
      esac
      read -r a b c d e < <(py 'import json,sys
j = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
print(j["p50_ms"], j["p95_ms"], j["p99_ms"], j["mean_ms"], j["open_ms"])' "$work/q.json")
      p50[$engine/$mode]=$a
      p99[$engine/$mode]=$c
      printf '| %s | %s | %.3f | %.3f | %.3f | %.3f | %.1f |\n' "$engine" "$mode" "$a" "$b" "$c" "$d" "$e"
    done
  done
  if [ -n "${p50[gazette/passages=0]:-}" ]; then
    echo
    for raw in raw-default raw-en_stem; do
      [ -n "${p50[$raw/search]:-}" ] || continue
      py "print(f'- Gazette without passages p50 / {\"$raw\"} top 10 p50: {${p50[gazette/passages=0]}/${p50[$raw/search]}:.2f}× (target ≤ 2×)')"
      py "print(f'- Gazette with one highlighted passage p99 / {\"$raw\"} + SnippetGenerator p99: {${p99[gazette/passages=1]}/${p99[$raw/snippet]}:.2f}× (target ≤ 1×)')"
    done
  fi

  if [ -d "$work/idx-gazette" ]; then
    n=${CLI_QUERIES:-10}
    runs=${CLI_RUNS:-10}
    echo "timing whole processes (hyperfine, $n queries × $runs runs)…" >&2
    head -n "$n" "$queries" > "$work/cli-queries"
    whole() { # whole LABEL COMMAND-PREFIX... → pooled median ms of every run of every query
      local label=$1; shift
      : > "$work/times"
      while IFS= read -r q; do
        hyperfine -N -i --warmup 2 --runs "$runs" --export-json "$work/h.json" \
          "$(printf '%q ' "$@" "$q")" >/dev/null 2>&1
        py 'import json,sys; [print(t) for t in json.load(open(sys.argv[1]))["results"][0]["times"]]' "$work/h.json" >> "$work/times"
      done < "$work/cli-queries"
      py 'import statistics,sys; t=[float(x)*1e3 for x in open(sys.argv[1])]; print(f"{statistics.median(t):.2f} {sorted(t)[int(0.95*(len(t)-1))]:.2f}")' "$work/times"
    }
    read -r g50 g95 < <(whole gazette "$gz" --index "$work/idx-gazette" search --color never)
    echo
    echo "### Whole process on the warm index: $name, first $n queries × $runs runs (hyperfine -N, 2 warm-up runs each)"
    echo
    echo "| command | median ms | p95 ms |"
    echo "|---|---:|---:|"
    echo "| gazette search (10 hits, 2 passages, text output) | $g50 | $g95 |"
    if [ -d "$work/idx-gazette-base" ]; then
      read -r b50 b95 < <(whole base "$BASE_BIN" --index "$work/idx-gazette-base" search --color never)
      echo "| gazette search, BASE_BIN | $b50 | $b95 |"
    fi
    for raw in raw-default raw-en_stem; do
      [ -d "$work/idx-$raw" ] || continue
      read -r r50 r95 < <(whole "$raw" "$rt" cli "$work/idx-$raw")
      echo "| rt cli ($raw, top 10 titles) | $r50 | $r95 |"
    done
    echo
    echo "(target: gazette search ≤ 10 ms median)"
  fi
fi

if [ -n "${SCALES:-}" ]; then
  echo
  echo "### Scaling: Gazette on $name concatenated k times (fresh ids), $threads threads, ${heap_mb} MB heap"
  echo
  echo "| k | text MB | wall s | wall / k | CPU s | CPU s / k | MB/s | CPU/wall | peak RSS MB | index/text |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for k in $SCALES; do
    echo "building the ${k}× corpus…" >&2
    input="$work/scaled-$k.jsonl.zst"
    py '
import json, subprocess, sys
k, src = int(sys.argv[1]), sys.argv[2]
out = sys.stdout
for copy in range(k):
    data = subprocess.run(["zstd", "-dcq", src], check=True, capture_output=True).stdout if src.endswith(".zst") else open(src, "rb").read()
    for line in data.splitlines():
        if not line.strip():
            continue
        obj = json.loads(line)
        if copy:
            obj["id"] = "%s~%d" % (obj.get("id", ""), copy)
        out.write(json.dumps(obj, ensure_ascii=False) + "\n")
' "$k" "$corpus" | zstd -q -1 -o "$input" -f
    echo "indexing ${k}×…" >&2
    read -r wall user sys rss size < <(index gazette "$input" "$work/idx-scaled")
    py "
k, wall, user, sys, rss, size, tb = $k, $wall, $user, $sys, $rss, $size, $text_bytes * $k
cpu = user + sys
print(f'| {k} | {tb/1e6:.1f} | {wall:.2f} | {wall/k:.2f} | {cpu:.1f} | {cpu/k:.1f} | {tb/1e6/wall:.1f} | {cpu/wall:.2f} | {rss//1024} | {size/tb:.2f} |')
"
    rm -rf "$work/idx-scaled" "$input"
  done
fi
