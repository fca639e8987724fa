#!/usr/bin/env bash
# In-process query latency of this build's ranking against another build's, in one run.
#
#   bench/latency.sh OLD_RELEASE_DIR [CORPUS…]
#
# OLD_RELEASE_DIR holds `gazette` and `examples/latency` built from the other commit, e.g.
# for main:
#   git archive main | tar -x -C /tmp/old && cd /tmp/old && cargo build --release --example latency
# (a commit without examples/latency.rs: copy this one in, add its [[example]] to Cargo.toml,
# and drop the options its library lacks). Each build indexes the corpus itself (index
# formats differ), then `examples/latency --passages 2` runs
# ../shared/anchors/queries/<corpus>.txt (warm-up pass, three timed passes, per-query median;
# 10 hits with 2 highlighted passages each, as `gazette search` shows them; one thread).
# Default corpora: news-reuters21578 policy-un-general-debates.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${SHARED:-../shared}
old=${1:?usage: bench/latency.sh OLD_RELEASE_DIR [CORPUS…]}
shift
corpora=("$@")
[ ${#corpora[@]} -gt 0 ] || corpora=(news-reuters21578 policy-un-general-debates)
new=${NEW_RELEASE_DIR:-target/release}
work=target/latency
mkdir -p "$work"
echo "| corpus | ranking | queries | p50 ms | p95 ms | p99 ms | mean ms |"
echo "|---|---|---:|---:|---:|---:|---:|"
for c in "${corpora[@]}"; do
  data="$shared/corpora/$c/articles.jsonl.zst"
  queries="$shared/anchors/queries/$c.txt"
  for side in old new; do
    dir=$([ $side = old ] && echo "$old" || echo "$new")
    idx="$work/$c-$side"
    [ -d "$idx" ] || "$dir/gazette" --index "$idx" index "$data" 2>/dev/null
  done
  for variant in old new new-expand new-explain; do
    case $variant in
      old) bin="$old/examples/latency"; idx="$work/$c-old"; flags=() ;;
      new) bin="$new/examples/latency"; idx="$work/$c-new"; flags=() ;;
      new-expand) bin="$new/examples/latency"; idx="$work/$c-new"; flags=(--expand) ;;
      new-explain) bin="$new/examples/latency"; idx="$work/$c-new"; flags=(--explain) ;;
    esac
    "$bin" "$idx" "$queries" --passages 2 "${flags[@]}" | python3 -c "
import json, sys
d = json.loads(sys.stdin.read())
print(f\"| $c | $variant | {d['queries']} | {d['p50_ms']:.2f} | {d['p95_ms']:.2f} | {d['p99_ms']:.2f} | {d['mean_ms']:.2f} |\")"
  done
done
