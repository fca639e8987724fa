#!/usr/bin/env bash
# HTML main-text extraction quality and speed on the shared html-* sets.
#
#   bench/html_eval.sh [GAZETTE_BIN]
#
# Unpacks every ../shared/corpora/html-*/pages.tar.zst once (into target/html-eval/pages),
# runs `gazette extract --json` over each set in one process, and scores the bodies with
# ../shared/anchors/html_eval.py. Prints the scorer's table, then pages/s per set.
# Env: SETS="html-aeb-scrapinghub html-dragnet" to restrict; KEEP=1 keeps predictions in
# target/html-eval/pred-<set>.jsonl (they are kept anyway; the per-page TSV too).
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${SHARED:-../shared}
bin=${1:-target/release/gazette}
[ -x "$bin" ] || { echo "build first: cargo build --release --locked" >&2; exit 2; }
[ -d "$shared/corpora" ] || { echo "no $shared/corpora: nothing to evaluate" >&2; exit 2; }
work=target/html-eval
mkdir -p "$work/pages"
sets=${SETS:-$(cd "$shared/corpora" && ls -d html-* | tr '\n' ' ')}
preds=()
truths=()
speed=""
for set in $sets; do
  dir="$work/pages/$set"
  if [ ! -d "$dir" ]; then
    mkdir -p "$dir.tmp"
    zstd -dc "$shared/corpora/$set/pages.tar.zst" | tar -x -C "$dir.tmp"
    mv "$dir.tmp" "$dir"
  fi
  pred="$work/pred-$set.jsonl"
  mapfile -t files < <(find "$dir" -name '*.html' | sort)
  start=$(date +%s.%N)
  "$bin" extract --json "${files[@]}" 2>"$work/extract-$set.err" > "$work/raw-$set.jsonl" || true
  end=$(date +%s.%N)
  python3 - "$work/raw-$set.jsonl" "$pred" <<'PY'
import json, os, sys
with open(sys.argv[1]) as f, open(sys.argv[2], "w") as out:
    for line in f:
        d = json.loads(line)
        pid = os.path.basename(d["path"]).rsplit(".html", 1)[0]
        out.write(json.dumps({"id": pid, "body": d["body"]}) + "\n")
PY
  speed+=$(printf '%s %d pages %.2f s %.0f pages/s\n' "$set" "${#files[@]}" \
    "$(echo "$end - $start" | bc)" "$(echo "${#files[@]} / ($end - $start)" | bc -l)")$'\n'
  preds+=(--pred "$pred")
  truths+=(--truth "$shared/corpora/$set")
done
python3 "$shared/anchors/html_eval.py" "${truths[@]}" "${preds[@]}" --per-page "$work/per-page.tsv" ${JSON:+--json}
echo
echo "extraction speed (one process, decode + parse + extract + language detection):"
printf '%s' "$speed"
