#!/usr/bin/env bash
# Builds small seed corpora for the fuzz targets under fuzz/corpus/<target>/ (gitignored;
# OUT=DIR for another folder): the sample corpus (../corpus) and, when present, a few files
# from ../../shared/corpora and the query sets of ../../shared/anchors (SHARED=DIR for another
# place). Seeds are capped at 64 KiB each.
set -euo pipefail
cd "$(dirname "$0")"
repo=..
shared=${SHARED:-../../shared}
out=${OUT:-corpus}
max=65536
mkdir -p "$out"/{query,passages,highlight,ingest_html,ingest_json,ingest_jsonl,ingest_markdown,ingest_text,ingest_compressed}

seed() { # target name < bytes
  local f="$out/$1/$2"
  head -c "$max" > "$f"
}

for f in "$repo"/corpus/html/*.html; do seed ingest_html "$(basename "$f")" < "$f"; done
for f in "$repo"/corpus/json/*.json; do seed ingest_json "$(basename "$f")" < "$f"; done
for f in "$repo"/corpus/jsonl/*; do seed ingest_jsonl "$(basename "$f")" < "$f"; done
for f in "$repo"/corpus/md/*.md; do seed ingest_markdown "$(basename "$f")" < "$f"; done
for f in "$repo"/corpus/txt/*.txt; do seed ingest_text "$(basename "$f")" < "$f"; done
# Compressed seeds: selector byte (format, codec, raw) + payload. 0x24 = jsonl, gzip, raw;
# 0x34 = jsonl, zstd, raw; 0x04 / 0x00 = jsonl / html compressed by the target.
for f in "$repo"/corpus/compressed/*.gz; do { printf '\x24'; cat "$f"; } | seed ingest_compressed "$(basename "$f")"; done
for f in "$repo"/corpus/compressed/*.zst; do { printf '\x34'; cat "$f"; } | seed ingest_compressed "$(basename "$f")"; done
{ printf '\x04'; head -c 4000 "$repo"/corpus/jsonl/ai-policy-news-2018-2025.jsonl; } | seed ingest_compressed plain-jsonl
{ printf '\x00'; cat "$repo"/corpus/html/openai-morocco-talks-unga80.html; } | seed ingest_compressed plain-html
# Passages and highlights: article bodies in the three languages.
i=0
for f in "$repo"/corpus/txt/*.txt "$repo"/corpus/md/*.md; do
  i=$((i + 1))
  { printf '\x2a'; cat "$f"; } | seed passages "p$i"
  { printf '\x03morocco|data protection|mistr\xff'; head -c 3000 "$f"; } | seed highlight "h$i"
done
{ printf '\x01المغرب|الذكاء الاصطناعي\xff'; head -c 3000 "$repo"/corpus/md/qanun-adhakaa-alistinaei-alurubi-almakhatir.md; } | seed highlight ar
{ printf '\x10données|protection des données\xff'; head -c 3000 "$repo"/corpus/md/centres-de-donnees-souverainete-numerique.md; } | seed highlight fr
# Queries: two option bytes, then the query (grammar features first).
n=0
q() { n=$((n + 1)); printf '\x0a\x21%s' "$1" | seed query "q$n"; }
for s in 'OpenAI Morocco' '"data protection" Mistral' 'title:mistral AND source:"rabat policy review"' \
  'intelligence artificielle' 'المغرب' '+cndp -gdpr' 'mistr*' '(ai OR ia) AND NOT eu' \
  'title:/mis.*/' 'lang:fr données' 'tag:ai' '"protection des données"~3' 'title:[a TO m]' \
  'source: IN [a b c]' 'mistral^2 openai^0.5' '*' 'title:*' 'lang:en AND (morocco OR maroc)'; do q "$s"; done
printf '\x0a\x21data\xff2025-01-01' | seed query date1
printf '\x0a\x21data\xff9999-12-31' | seed query date2
if [ -d "$shared/anchors/queries" ]; then
  for f in "$shared"/anchors/queries/*.txt; do
    # Named by query set: numbered by `q` in a piped loop (a subshell), each set's seeds
    # restarted the count and overwrote the previous set's.
    k=0
    while IFS= read -r line; do
      k=$((k + 1))
      printf '\x0a\x21%s' "$line" | seed query "$(basename "$f" .txt)-$k"
    done < <(head -n 40 "$f")
  done
fi
if [ -d "$shared/corpora" ]; then
  for c in news-fr-gilets-jaunes news-ar-hespress news-bbc; do
    [ -f "$shared/corpora/$c/articles.jsonl.zst" ] || continue
    zstd -dc "$shared/corpora/$c/articles.jsonl.zst" 2>/dev/null | head -n 20 | seed ingest_jsonl "$c" || true
    zstd -dc "$shared/corpora/$c/articles.jsonl.zst" 2>/dev/null | head -n 3 | { printf '\x04'; cat; } | seed ingest_compressed "$c" || true
    zstd -dc "$shared/corpora/$c/articles.jsonl.zst" 2>/dev/null | head -n 1 | python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["body"])' | { printf '\x2a'; cat; } | seed passages "$c" || true
  done
  for c in html-dragnet html-cleaneval html-readability-tests; do
    [ -f "$shared/corpora/$c/pages.tar.zst" ] || continue
    tmp=$(mktemp -d)
    zstd -dc "$shared/corpora/$c/pages.tar.zst" | tar -x -C "$tmp" 2>/dev/null || true
    # The list is taken whole before `head` reads it: `sort | head` could end `sort` with
    # SIGPIPE, which pipefail turned into a silent exit after the first set.
    pages=$(find "$tmp" -type f | sort)
    head -n 15 <<<"$pages" | while read -r f; do seed ingest_html "$c-$(basename "$f")" < "$f"; done
    rm -rf "$tmp"
  done
fi
for t in "$out"/*; do echo "$(basename "$t"): $(ls "$t" | wc -l) seeds"; done
