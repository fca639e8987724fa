#!/usr/bin/env python3
"""Latency of typo tolerance and collapsing against a plain search, side by side in one run.

Builds (once) an index of a news set (default: ../shared/corpora/news-reuters21578), then
runs each query in four modes, interleaved round-robin so the machine's noise hits every
mode alike, and reports the search time Gazette itself measures (`took_ms` of `--json`,
process start excluded): median, p90 and p99 per mode, and the ratio to the plain mode.

  plain     --no-fuzzy --no-collapse     (the search as before these features)
  collapse  collapse on (default)        (the same queries)
  fuzzy     typo'd queries, fuzzy on     (a misspelled word searched with its matches)
  typo-off  typo'd queries, --no-fuzzy   (the same misspelled queries, no tolerance)

Usage: bench/features_latency.py [GAZETTE_BIN] [CORPUS_DIR] [ROUNDS]
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target/release/gazette")
CORPUS = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "../shared/corpora/news-reuters21578")
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 5

QUERIES = [
    ("cocoa prices", "cocoa prcies"),
    ("crude oil output", "crude oil ouptut"),
    ("interest rates federal reserve", "interest rates federal reserev"),
    ("wheat exports", "wheat exprots"),
    ("trade deficit japan", "trade deficti japan"),
    ("coffee quotas", "coffee quotsa"),
    ("merger acquisition shares", "merger acquisiton shares"),
    ("gold mining", "gold minnig"),
    ("dollar currency markets", "dollar currncy markets"),
    ("bank earnings quarter", "bank earnigns quarter"),
    ("sugar production", "sugar prodcution"),
    ("unemployment inflation", "unemploymnet inflation"),
]

MODES = {
    "plain": (0, ["--no-fuzzy", "--no-collapse"]),
    "collapse": (0, []),
    "fuzzy": (1, []),
    "typo-off": (1, ["--no-fuzzy"]),
}


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main():
    index = os.environ.get("GAZETTE_BENCH_INDEX") or os.path.join(tempfile.gettempdir(), "gazette-features-bench")
    if not os.path.exists(os.path.join(index, "gazette.json")):
        subprocess.run([BIN, "--index", index, "index", CORPUS], check=True)
    took = {m: [] for m in MODES}
    hits = {m: 0 for m in MODES}
    for _ in range(ROUNDS):
        for pair in QUERIES:
            for mode, (which, flags) in MODES.items():
                out = subprocess.run(
                    [BIN, "--index", index, "search", pair[which], "--json", "-n", "10", *flags],
                    capture_output=True, text=True,
                )
                if out.returncode not in (0, 1):
                    sys.exit(f"{mode} {pair[which]!r}: {out.stderr}")
                doc = json.loads(out.stdout)
                took[mode].append(doc["took_ms"])
                hits[mode] += doc["total_hits"]
    base = pct(took["plain"], 50)
    base99 = pct(took["plain"], 99)
    print(f"{len(QUERIES)} queries x {ROUNDS} rounds, index {index}")
    print("| mode | median ms | p90 ms | p99 ms | median vs plain | p99 vs plain | hits/query |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for mode in MODES:
        t = took[mode]
        print(
            f"| {mode} | {pct(t, 50):.2f} | {pct(t, 90):.2f} | {pct(t, 99):.2f} | "
            f"{pct(t, 50) / base:.2f}x | {pct(t, 99) / base99:.2f}x | {hits[mode] / len(t):.0f} |"
        )


if __name__ == "__main__":
    main()
