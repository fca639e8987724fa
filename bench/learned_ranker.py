#!/usr/bin/env python3
"""Would a learned ranker beat Gazette's one hand-tuned setting on collections it was not
trained on? A feasibility measurement for issue 6, not a shipped ranker.

Runs `gazette eval` on every ir-* collection of ../shared/corpora under several ranking
settings (the shipped one, query expansion, plain BM25, and settings that each stress one
signal: the written form, proximity, the title, length normalization), and keeps each run
file. Each (query, document) pair among the shipped ranking's top TOP documents then gets,
per setting, the document's score divided by the query's best score and its reciprocal
rank, plus the query's length in words. A LambdaMART model (LightGBM) is trained on six
collections' judged queries and ranks the seventh's candidates: leave one collection out,
as a ranker shipped for collections nobody judged would be used. The rest of the shipped
ranking follows the reranked top (for MAP, over 1000 documents). Every figure is computed
by ../shared/anchors/trec_eval.py.

    python3 bench/learned_ranker.py [--top 100] [--settings shipped,expand,bm25,...]

Needs numpy, scikit-learn and lightgbm (`pip install numpy scikit-learn lightgbm`) and a
release build (GAZETTE_BIN, default target/release/gazette). About 10 minutes on two cores.
"""
import argparse
import collections
import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("SHARED", os.path.join(REPO, "..", "shared"))
COLLECTIONS = ["adi", "cacm", "cisi", "cran", "lisa", "med", "npl"]
# name -> extra `gazette eval` arguments. The `verbose_` parameters are the ones the IR
# requests (descriptions, more than four words) rank with.
SETTINGS = {
    "shipped": [],
    "expand": ["--expand"],
    "bm25": ["--rank", "verbose_exact=0,verbose_exact_idf=0,proximity=0,verbose_k1=1.2,"
             "b=0.75,verbose_second_passage=0"],
    "exact": ["--rank", "verbose_exact=1,verbose_exact_idf=0.8,verbose_k1=1.6,"
              "verbose_second_passage=0.25"],
    "proximity": ["--rank", "proximity=1.5"],
    "title": ["--rank", "title=3"],
    "b": ["--rank", "b=0.3"],
}


def run_files(binary, work, name, args):
    """Runs `gazette eval` on every collection with `args`; returns {collection: run file}."""
    out = {}
    os.makedirs(os.path.join(work, name), exist_ok=True)
    for c in COLLECTIONS:
        d = os.path.join(SHARED, "corpora", f"ir-{c}")
        run = os.path.join(work, name, f"{c}.run")
        subprocess.run([binary, "eval", "--docs", f"{d}/docs.jsonl.zst", "--queries",
                        f"{d}/queries.jsonl", "--qrels", f"{d}/qrels.tsv", "--run-out", run,
                        "--json", "--default-lang", "en", *args],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out[c] = run
    return out


def load_run(path):
    run = collections.defaultdict(list)
    with open(path) as f:
        for line in f:
            q, _, doc, _, score, _ = line.split()
            run[q].append((doc, float(score)))
    return run


def load_qrels(c):
    qrels = collections.defaultdict(dict)
    with open(os.path.join(SHARED, "corpora", f"ir-{c}", "qrels.tsv")) as f:
        for line in f:
            q, doc, grade = line.split()
            qrels[q][doc] = int(grade)
    return qrels


def query_words(c):
    with open(os.path.join(SHARED, "corpora", f"ir-{c}", "queries.jsonl")) as f:
        return {j["id"]: len(j["text"].split()) for j in map(json.loads, f)}


def features(runs, c, names, top):
    """[(query, candidates, X, y, full shipped ranking)] for the judged queries of `c`."""
    import numpy as np
    by_name = {n: load_run(runs[n][c]) for n in names}
    qrels, words = load_qrels(c), query_words(c)
    rows = []
    for q, shipped in by_name[names[0]].items():
        if q not in qrels:
            continue
        candidates = [doc for doc, _ in shipped[:top]]
        per_setting = []
        for n in names:
            ranked = by_name[n].get(q, [])
            best = ranked[0][1] if ranked and ranked[0][1] > 0 else 1.0
            per_setting.append(({doc: (i, s) for i, (doc, s) in enumerate(ranked)}, best))
        x = []
        for doc in candidates:
            f = []
            for where, best in per_setting:
                i, s = where.get(doc, (None, 0.0))
                f += [s / best, 0.0 if i is None else 1.0 / (i + 1)]
            f.append(words.get(q, 0))
            x.append(f)
        y = [qrels[q].get(doc, 0) for doc in candidates]
        rows.append((q, candidates, np.array(x), np.array(y), [doc for doc, _ in shipped]))
    return rows


def trec_eval(c, ranked, work):
    path = os.path.join(work, f"learned-{c}.run")
    with open(path, "w") as f:
        for q, docs in ranked.items():
            for i, doc in enumerate(docs[:1000]):
                f.write(f"{q} Q0 {doc} {i + 1} {1000 - i} learned\n")
    out = subprocess.check_output(
        [sys.executable, os.path.join(SHARED, "anchors", "trec_eval.py"),
         os.path.join(SHARED, "corpora", f"ir-{c}", "qrels.tsv"), path, "--json"])
    j = json.loads(out)
    return j["ndcg_cut_10"], j["map"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--top", type=int, default=100, help="candidates reranked per query")
    ap.add_argument("--settings", default=",".join(SETTINGS),
                    help="the settings whose scores are features (the first is the base)")
    ap.add_argument("--trees", type=int, default=200)
    a = ap.parse_args()
    import lightgbm
    import numpy as np

    binary = os.environ.get("GAZETTE_BIN", os.path.join(REPO, "target", "release", "gazette"))
    work = os.path.join(REPO, "target", "learned-ranker")
    names = a.settings.split(",")
    runs = {}
    for n in names:
        runs[n] = run_files(binary, work, n, SETTINGS[n])
        print(f"ran {n}", file=sys.stderr, flush=True)
    data = {c: features(runs, c, names, a.top) for c in COLLECTIONS}

    results = []
    for c in COLLECTIONS:
        train = [r for other in COLLECTIONS if other != c for r in data[other]]
        model = lightgbm.LGBMRanker(
            objective="lambdarank", n_estimators=a.trees, learning_rate=0.05, num_leaves=7,
            min_child_samples=50, subsample=0.8, subsample_freq=1, colsample_bytree=0.8,
            lambdarank_truncation_level=20, n_jobs=1, random_state=7, verbose=-1)
        model.fit(np.vstack([r[2] for r in train]), np.concatenate([r[3] for r in train]),
                  group=[len(r[1]) for r in train])
        ranked = {}
        for q, candidates, x, _, shipped in data[c]:
            order = np.argsort(-model.predict(x), kind="stable")
            top = [candidates[i] for i in order]
            chosen = set(top)
            ranked[q] = top + [doc for doc in shipped if doc not in chosen]
        results.append(trec_eval(c, ranked, work))

    print(f"| features: {', '.join(names)}; top {a.top} | " + " | ".join(COLLECTIONS)
          + " | mean nDCG@10 |")
    print("|---|" + "---:|" * (len(COLLECTIONS) + 1))
    cells = " | ".join(f"{n:.3f} ({m:.3f})" for n, m in results)
    mean = sum(n for n, _ in results) / len(results)
    print(f"| learned, leave one collection out | {cells} | {mean:.4f} |")


if __name__ == "__main__":
    main()
