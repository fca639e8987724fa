#!/usr/bin/env bash
# Incremental re-indexing cost as a share of a full build, measured in one run:
# (a) no change, (b) 1% of articles added, (c) 1% edited, (d) 1% deleted.
#
#   bench/incremental.sh [CORPUS.jsonl.zst] [FILES]
#
# The corpus (default: the largest news set, news-ar-saudinewsnet) is laid out as FILES JSON
# Lines files (default 1: one big export; 300: a folder of daily files). Environment: SHARED,
# REPS (default 3; median kept).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED:-$repo/../shared}
corpus=${1:-$shared/corpora/news-ar-saudinewsnet/articles.jsonl.zst}
nfiles=${2:-1}
reps=${REPS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$repo" && cargo build --release --locked -q)
gz="$repo/target/release/gazette"

# The 1% changes are taken from the corpus itself: its last 1% of articles are held back for
# (b), and (c) edits, (d) deletes 1% spread over the rest.
python3 - "$corpus" "$work" "$nfiles" <<'PY'
import json, subprocess, sys, os
corpus, work, nfiles = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = subprocess.run(["zstd", "-dc", corpus], capture_output=True, check=True).stdout.decode()
lines = [l for l in data.splitlines() if l.strip()]
n = len(lines); k = max(1, n // 100)
base, extra = lines[: n - k], lines[n - k:]
step = max(1, len(base) // k)
# Each article keeps its file across the variants: a change touches only the files it is in.
per = (len(base) + nfiles - 1) // nfiles
def write(dirname, rows):
    d = os.path.join(work, dirname); os.makedirs(d, exist_ok=True)
    for f in range(nfiles):
        with open(os.path.join(d, f"part-{f:04d}.jsonl"), "w") as out:
            out.write("".join(r + "\n" for r in rows[f * per:(f + 1) * per] if r is not None))
write("base", base)
json.dump({"n": n, "k": k, "base": len(base)}, open(os.path.join(work, "meta.json"), "w"))
open(os.path.join(work, "extra.jsonl"), "w").write("".join(r + "\n" for r in extra))
edited = list(base)
for i in range(0, len(base), step)[:k]:
    a = json.loads(edited[i]); a["body"] = a.get("body", "") + " (corrected)"; edited[i] = json.dumps(a, ensure_ascii=False)
write("edited", edited)
write("deleted", [None if (i % step == 0 and i // step < k) else r for i, r in enumerate(base)])
PY

t() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }; e=$(date +%s.%N); python3 -c "print($e-$s)"; }
median() { sort -g | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'; }

declare -A res
for scenario in full none added edited deleted; do
  : > "$work/times"
  for _ in $(seq "$reps"); do
    rm -rf "$work/news" "$work/idx"; cp -r "$work/base" "$work/news"
    if [ "$scenario" = full ]; then t "$gz" --index "$work/idx" index "$work/news" >> "$work/times"; continue; fi
    "$gz" --index "$work/idx" index "$work/news" 2>/dev/null
    case "$scenario" in
      added)   cp "$work/extra.jsonl" "$work/news/zz-new.jsonl" ;;
      edited|deleted)
        # Replace only the files that differ, as a sync of a news folder would.
        for f in "$work/$scenario"/*; do
          cmp -s "$f" "$work/news/${f##*/}" || cp "$f" "$work/news/"
        done ;;
    esac
    t "$gz" --index "$work/idx" index "$work/news" >> "$work/times"
    tail -1 "$work/err" >&2
  done
  res[$scenario]=$(median < "$work/times")
done
full=${res[full]}
echo "| scenario | wall s | share of full build |"
echo "|---|---:|---:|"
for scenario in full none added edited deleted; do
  printf '| %s | %.3f | %s |\n' "$scenario" "${res[$scenario]}" "$(python3 -c "print(f'{100*${res[$scenario]}/$full:.2f} %')")"
done
