#!/usr/bin/env bash
# Ranking quality on every ir-* collection of ../shared/corpora, beside the anchors.
#
#   bench/ir_eval.sh [GAZETTE_BIN]
#
# Runs `gazette eval --json` on each collection (a temporary index of its documents, every
# query as free text, 1000 articles per query), checks the figures with
# ../shared/anchors/trec_eval.py on the run file written, and prints a Markdown table with the
# best anchor's nDCG@10 (from ../shared/anchors/README.md) beside Gazette's.
# Env: DEFAULT_LANG (default en: the collections are English, and a third of CACM's documents
# are titles too short for language detection; DEFAULT_LANG= leaves them undetected);
# EXPAND=1 adds --expand (query expansion); RANK=… passes --rank.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${SHARED:-../shared}
bin=${1:-target/release/gazette}
DEFAULT_LANG=${DEFAULT_LANG-en}
[ -x "$bin" ] || { echo "build first: cargo build --release --locked" >&2; exit 2; }
work=target/ir-eval
mkdir -p "$work"
echo "| collection | queries | Gazette nDCG@10 | MAP | P@10 | R@100 | best anchor nDCG@10 | ratio | trec_eval.py agrees |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
for dir in "$shared"/corpora/ir-*; do
  name=$(basename "$dir")
  run="$work/$name.run"
  json=$("$bin" eval --docs "$dir/docs.jsonl.zst" --queries "$dir/queries.jsonl" \
    --qrels "$dir/qrels.tsv" --run-out "$run" --json ${DEFAULT_LANG:+--default-lang "$DEFAULT_LANG"} ${EXPAND:+--expand} ${RANK:+--rank "$RANK"} \
    2>"$work/$name.err")
  check=$(python3 "$shared/anchors/trec_eval.py" "$dir/qrels.tsv" "$run" --json)
  best=$(grep -E "^\| $name \|" "$shared/anchors/README.md" | awk -F'|' '{gsub(/ /,"",$(NF-1)); print $(NF-1)}')
  python3 - "$name" "$json" "$check" "$best" <<'PY'
import json, sys
name, g, t, best = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
agree = all(abs(g[a] - t[b]) < 1e-9 for a, b in
            [("map", "map"), ("ndcg@10", "ndcg_cut_10"), ("p@10", "P_10"), ("recall@100", "recall_100")])
ratio = g["ndcg@10"] / float(best) if best else float("nan")
print(f"| {name} | {g['queries']} | {g['ndcg@10']:.3f} | {g['map']:.3f} | {g['p@10']:.3f} | "
      f"{g['recall@100']:.3f} | {best} | {ratio:.3f} | {'yes' if agree else 'NO'} |")
PY
done
