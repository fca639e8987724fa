#!/usr/bin/env python3
"""Known-item retrieval on the French and Arabic news sets: Gazette's per-language analysis
chains against a plain lowercase-only chain, measured in one run.

For a sample of articles per set, 4 distinctive content words are taken from the body (not
the title): words of 4+ letters among the 12 rarest in the collection (document frequency of
at least 2), 4 of them at random. Each query runs as free text (`gazette search --json`); the
article's rank gives MRR@10 and success@10. French queries also run unaccented, as people
type them.

    python3 bench/known_item.py [--sample 500] [--seed 7] [--sets news-fr-gilets-jaunes ...]

GAZETTE_BIN=path/to/gazette runs that binary instead of building target/release/gazette;
GAZETTE_SEARCH_ARGS="--rank k1=1.2" adds options to every search (e.g. to compare ranking
settings).
"""
import argparse
import collections
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import unicodedata

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("SHARED", os.path.join(REPO, "..", "shared"))
DEFAULT_SETS = [
    "news-fr-gilets-jaunes",
    "news-ar-hespress",
    "news-ar-moroccan-news-corpus",
    "news-ar-marsum-goud",
    "news-ar-saudinewsnet",
]
WORD = re.compile(r"\w+", re.UNICODE)


def words(text):
    return [w.lower() for w in WORD.findall(text)]


def unaccent(text):
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


PROCLITICS = ("وال", "بال", "فال", "كال", "لل", "ال")


def bare_arabic(query):
    """The words as often typed: no harakat, no leading conjunction or article."""
    out = []
    for w in unaccent(query).split():
        for p in PROCLITICS:
            if w.startswith(p) and len(w) - len(p) >= 3:
                w = w[len(p):]
                break
        out.append(w)
    return " ".join(out)


def load(set_name):
    path = os.path.join(SHARED, "corpora", set_name, "articles.jsonl.zst")
    data = subprocess.run(["zstd", "-dc", path], capture_output=True, check=True).stdout.decode()
    return [json.loads(l) for l in data.splitlines() if l.strip()], path


def queries(articles, sample, rng):
    df = collections.Counter()
    for a in articles:
        df.update(set(words(a.get("body") or "")))
    pool = [a for a in articles if len(words(a.get("body") or "")) >= 50]
    out = []
    for a in rng.sample(pool, min(sample, len(pool))):
        title = set(words(a.get("title") or ""))
        cands = sorted(
            {w for w in words(a["body"]) if len(w) >= 4 and not w.isdigit() and w not in title and df[w] >= 2},
            key=lambda w: (df[w], w),
        )[:12]
        if len(cands) < 4:
            continue
        out.append((a["id"], " ".join(rng.sample(cands, 4))))
    return out


def build(gazette, corpus, profile, workdir):
    idx = os.path.join(workdir, profile)
    subprocess.run([gazette, "--index", idx, "index", "--analysis", profile, corpus],
                   check=True, capture_output=True)
    return idx


def rank(gazette, idx, query, want):
    extra = os.environ.get("GAZETTE_SEARCH_ARGS", "").split()
    r = subprocess.run([gazette, "--index", idx, "search", "--json", "--limit", "10", "--passages", "0",
                        *extra, "--", query], capture_output=True)
    if r.returncode not in (0, 1):
        sys.stderr.write(r.stderr.decode())
        return None
    hits = json.loads(r.stdout)["hits"]
    for i, h in enumerate(hits):
        # A syndicated copy collapsed into a hit is found too: the hit says "also in" it.
        if h["id"] == want or any(c["id"] == want for c in h.get("also_in", [])):
            return i + 1
    return None


def score(gazette, idx, qs):
    ranks = [rank(gazette, idx, q, want) for want, q in qs]
    mrr = sum(1.0 / r for r in ranks if r) / len(ranks)
    s10 = sum(1 for r in ranks if r) / len(ranks)
    return mrr, s10


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", type=int, default=500)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--sets", nargs="*", default=DEFAULT_SETS)
    args = ap.parse_args()
    gazette = os.environ.get("GAZETTE_BIN")
    if not gazette:
        subprocess.run(["cargo", "build", "--release", "--locked", "-q"], cwd=REPO, check=True)
        gazette = os.path.join(REPO, "target", "release", "gazette")
    print("| set | queries | query form | plain MRR@10 | per-language MRR@10 | plain success@10 | per-language success@10 |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for name in args.sets:
        articles, corpus = load(name)
        qs = queries(articles, args.sample, random.Random(args.seed))
        with tempfile.TemporaryDirectory() as work:
            plain = build(gazette, corpus, "plain", work)
            std = build(gazette, corpus, "standard", work)
            forms = [("as written", qs)]
            if name.startswith("news-fr"):
                forms.append(("unaccented", [(i, unaccent(q)) for i, q in qs]))
            if name.startswith("news-ar"):
                forms.append(("without diacritics or proclitics", [(i, bare_arabic(q)) for i, q in qs]))
            for form, fq in forms:
                p_mrr, p_s = score(gazette, plain, fq)
                s_mrr, s_s = score(gazette, std, fq)
                print(f"| {name} | {len(fq)} | {form} | {p_mrr:.3f} | {s_mrr:.3f} | {p_s:.3f} | {s_s:.3f} |", flush=True)


if __name__ == "__main__":
    main()
