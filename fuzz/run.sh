#!/usr/bin/env bash
# Runs fuzz targets one after another, each for its minutes, the way RELIABILITY.md's campaigns
# ran them, and prints each target's edge coverage every five minutes and whether it reached a
# plateau: no new edge in its last ten minutes (printed with the executions those minutes
# had, since a target starved of CPU also gains nothing).
#
#   fuzz/run.sh TARGET:MINUTES [TARGET:MINUTES ...]     e.g. fuzz/run.sh ingest_html:60 query:30
#
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz --locked`); run
# `fuzz/seed.sh` first for the seeds. Builds without a sanitizer (`-s none`: 5-7x faster; the
# targets check their invariants themselves), at `nice -n 15` unless NICE is set. Logs, every
# line stamped with the seconds since the target started, go to LOGS (default fuzz/logs/).
# Per-target flags: `ingest_html`, `ingest_compressed` and `ingest_jsonl` inputs are capped at
# 8 KiB (whole news pages of 64 KiB made `ingest_html` 11x slower, and it reached less coverage
# in the same time: see the eighth campaign in RELIABILITY.md); `query` inputs at 1 KiB. Extra
# libFuzzer flags: FLAGS. With UNTIL_PLATEAU=1 a target's minutes are a cap: it is stopped
# (SIGINT, so libFuzzer prints its final statistics) once it has gained no edge for ten
# minutes over at least PLATEAU_RUNS executions (default 50000). With UNTIL_PLATEAU=own it is
# stopped once Gazette's own code has gained no edge for that long, whatever its dependencies
# still gain: the fuzzer prints every new edge (`-print_pcs=1`) and `fuzz/own_cov.py` (needs
# python3 and binutils) tells whose code each is in; the summary gives both tests either way.
set -euo pipefail
cd "$(dirname "$0")"
logs=${LOGS:-logs}
mkdir -p "$logs"
[ $# -gt 0 ] || { sed -n '2,21p' "$0" >&2; exit 2; }

cargo +nightly fuzz build -s none >&2

# The edges gained in a log's last ten minutes, with the executions they took, and whether
# that is a plateau: no new edge over at least PLATEAU_RUNS executions.
plateau() {
  awk -v min_runs="${PLATEAU_RUNS:-50000}" '
       BEGIN { n = 0 }
       { for (i = 1; i <= NF; i++) if ($i == "cov:") c = $(i + 1) }
       c && $2 ~ /^#[0-9]+$/ { t[n] = $1; cov[n] = c; runs[n] = substr($2, 2); n++ }
       END {
         if (!n || t[n - 1] < 600) exit
         k = 0
         while (k + 1 < n && t[k + 1] <= t[n - 1] - 600) k++
         gained = cov[n - 1] - cov[k]; ran = runs[n - 1] - runs[k]
         verdict = gained ? "no plateau" : ran >= min_runs ? "a plateau" : "starved, not a plateau"
         printf "last 10 min: +%d edges in %d executions (%s)\n", gained, ran, verdict
       }' "$1"
}

# The same test on Gazette's own code alone (the last line of own_cov.py's report).
own_plateau() {
  python3 own_cov.py --plateau-runs "${PLATEAU_RUNS:-50000}" "$1" "$2" | tail -n 1
}

# Coverage every five minutes, the final statistics, and the plateau tests.
summary() {
  awk '{ for (i = 1; i <= NF; i++) if ($i == "cov:") c = $(i + 1) }
       c && $1 - last >= 300 { printf "%d min: cov %s\n", $1 / 60, c; last = $1 }
       /stat::number_of_executed_units|stat::peak_rss_mb|crash-|Test unit written/ { print }
       END { if (c) print "end: cov " c }' "$1"
  plateau "$1"
  python3 own_cov.py --plateau-runs "${PLATEAU_RUNS:-50000}" "$1" "$2" || true
}

bin_dir=target/$(rustc +nightly -vV | sed -n 's/^host: //p')/release

for spec in "$@"; do
  target=${spec%%:*}
  minutes=${spec##*:}
  case $target in
    ingest_html | ingest_compressed | ingest_jsonl) per_target=(-max_len=8192) ;;
    query) per_target=(-max_len=1024) ;;
    *) per_target=() ;;
  esac
  log="$logs/$target.$(date -u +%Y%m%dT%H%M).log"
  echo "== $target, $minutes min, log $log" >&2
  # shellcheck disable=SC2086 # FLAGS is a list of flags
  nice -n "${NICE:-15}" cargo +nightly fuzz run -s none "$target" -- \
    -max_total_time=$((minutes * 60)) -print_final_stats=1 -print_pcs=1 -rss_limit_mb=4096 -timeout=30 \
    "${per_target[@]}" ${FLAGS:-} 2>&1 \
    | perl -pe 'BEGIN { $| = 1; $s = time() } s/^/(time() - $s) . " "/e' >"$log" &
  pipeline=$!
  if [ "${UNTIL_PLATEAU:-0}" != 0 ]; then
    while kill -0 "$pipeline" 2>/dev/null; do
      sleep 30
      if [ "$UNTIL_PLATEAU" = own ]; then
        verdict=$(own_plateau "$log" "$bin_dir/$target")
      else
        verdict=$(plateau "$log")
      fi
      if grep -q '(a plateau)$' <<<"$verdict"; then
        echo "== $target: plateau, stopping it" >&2
        # cargo-fuzz names this directory's artifacts folder on the fuzzer's command line.
        pkill -INT -f -- "-artifact_prefix=$PWD/artifacts/$target/" || true
        break
      fi
    done
  fi
  wait "$pipeline" || true
  summary "$log" "$bin_dir/$target"
done
