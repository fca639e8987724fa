#!/usr/bin/env bash
# Indexing throughput and peak memory, Gazette beside raw Tantivy (default and en_stem
# tokenizers), measured in one run on the same corpora. Prints a Markdown table.
#
#   bench/index.sh [CORPUS.jsonl.zst ...]
#
# Defaults to the largest sets of ../shared/corpora. Environment: SHARED (path to shared/),
# REPS (runs per engine, median kept; default 3), HEAP_MB (both engines; default 256, Gazette's
# default), THREADS (default 2), ENGINES (default "raw-default raw-en_stem gazette"; add
# gazette-plain for Gazette with lowercasing-only analysis).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED:-$repo/../shared}
reps=${REPS:-3}
heap_mb=${HEAP_MB:-256}
threads=${THREADS:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ $# -eq 0 ]; then
  set -- "$shared/corpora/policy-un-general-debates/articles.jsonl.zst" \
         "$shared/corpora/news-ar-saudinewsnet/articles.jsonl.zst" \
         "$shared/corpora/news-reuters21578/articles.jsonl.zst"
fi

echo "building gazette and raw-tantivy (release)…" >&2
(cd "$repo" && cargo build --release --locked -q)
# The reference program is built once, outside the repository's sources (target/ is ignored).
rtdir="$repo/target/raw-tantivy"
[ -d "$rtdir" ] || cp -r "$shared/anchors/raw-tantivy" "$rtdir"
(cd "$rtdir" && cargo build --release -q 2>/dev/null)
gz="$repo/target/release/gazette"
rt="$rtdir/target/release/rt"

# run ENGINE CORPUS → prints "wall user sys rss_kb text_bytes index_bytes"
run() {
  local engine=$1 corpus=$2 idx="$work/idx" out="$work/out"
  rm -rf "$idx"
  case "$engine" in
    gazette|gazette-plain)
      local profile=standard
      [ "$engine" = gazette-plain ] && profile=plain
      /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$gz" --index "$idx" index --heap "$heap_mb" \
        --threads "$threads" --analysis "$profile" "$corpus" 2>"$out" >/dev/null
      # "indexed N articles (P passages, X MB) …": text bytes from X MB are rounded, so
      # recompute them from the raw run of the same corpus (same title+body definition).
      ;;
    raw-default|raw-en_stem)
      /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$rt" index "$idx" "$corpus" \
        --tokenizer "${engine#raw-}" --threads "$threads" --heap $((heap_mb * 1024 * 1024)) 2>"$out"
      ;;
  esac
  read -r wall user sys rss < "$work/time"
  local size
  size=$(du -sb "$idx" | cut -f1)
  echo "$wall $user $sys $rss $size"
}

median() { sort -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'; }

echo "| corpus | engine | text MB | wall s | MB/s | CPU/wall | peak RSS MB | index/text | vs raw en_stem | vs raw default |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for corpus in "$@"; do
  name=$(basename "$(dirname "$corpus")")
  # Text bytes (title + body), as the anchors count them.
  "$rt" index "$work/probe" "$corpus" --tokenizer default --threads "$threads" 2>"$work/probe.json"
  text_bytes=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])["text_bytes"])' "$work/probe.json")
  rm -rf "$work/probe"
  declare -A walls=()
  for engine in ${ENGINES:-raw-default raw-en_stem gazette}; do
    : > "$work/runs"
    for _ in $(seq "$reps"); do run "$engine" "$corpus" >> "$work/runs"; done
    line=$(awk '{print $1, $0}' "$work/runs" | sort -n | awk -v m=$(((reps + 1) / 2)) 'NR==m {print $2, $3, $4, $5, $6}')
    read -r wall user sys rss size <<< "$line"
    walls[$engine]=$wall
    mbps=$(python3 -c "print(f'{$text_bytes/1e6/$wall:.1f}')")
    cpu=$(python3 -c "print(f'{($user+$sys)/$wall:.2f}')")
    ratio_en=$(python3 -c "print(f'{${walls[raw-en_stem]:-$wall}/$wall:.2f}×')")
    ratio_def=$(python3 -c "print(f'{${walls[raw-default]}/$wall:.2f}×')")
    printf '| %s | %s | %.1f | %.2f | %s | %s | %d | %.2f | %s | %s |\n' "$name" "$engine" \
      "$(python3 -c "print($text_bytes/1e6)")" "$wall" "$mbps" "$cpu" $((rss / 1024)) \
      "$(python3 -c "print($size/$text_bytes)")" "$ratio_en" "$ratio_def"
  done
  unset walls
done
