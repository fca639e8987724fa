#!/usr/bin/env python3
"""Where a fuzz run's new edges are, and whether Gazette's own code has reached a plateau.

    fuzz/own_cov.py LOG BINARY [--plateau-runs N]

LOG is a `fuzz/run.sh` log (every line stamped with the seconds since the target started, the
fuzzer run with `-print_pcs=1`), BINARY the fuzz target it ran. libFuzzer prints a `NEW_PC`
line for every edge (PC-table entry) it covers after loading its seeds; this script maps each
to its source with `addr2line`, and sorts the edges by whose code they are in: Gazette's (`src/`
of this repository), the fuzz harness (`fuzz/`), the Rust standard library, or a dependency
crate. Whose code an edge is in is told by its outermost frame, the function the compiler
emitted it in; so an edge of a dependency's code inlined into a Gazette function (the `time`
crate's parser inlined into `parse_date`, an iterator adapter in `split_passages`) counts as
Gazette's. The script also counts, apart, the edges whose own source line (the innermost frame)
is in `src/`: the branches written in Gazette's code, and names the lines (`src/FILE:LINE`) of
those found in the last ten minutes. It prints Gazette's new edges every five
minutes and the plateau test of `fuzz/run.sh` on them alone, for both counts: no new edge in the
last ten minutes, over at least N executions (default 50000). The last line is the verdict on
the first, wider count, which `fuzz/run.sh` reads when UNTIL_PLATEAU=own.

The edges still found in a dependency's code (an HTML tokenizer's states, a decompressor's)
show up in the breakdown, so a run that has stopped finding anything new in Gazette can be told
from one that has stopped altogether. Source paths are cached in LOG.sym, so the script can be run
again and again on a growing log. A log is only read against the binary that wrote it: if the
binary's PC table has another size than the log's (the target was rebuilt since), the script
stops with an error rather than name the wrong source lines.
"""

import argparse
import json
import os
import re
import subprocess
import sys
from collections import Counter

REPO = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
STATUS = re.compile(r"^(\d+) #(\d+)\s.*\bcov: (\d+)")
NEW_PC = re.compile(r"^(\d+) \s*NEW_PC: (0x[0-9a-f]+)")
PC_TABLE = re.compile(r"Loaded 1 PC tables \((\d+) PCs\): \d+ \[(0x[0-9a-f]+),")
# LOG.sym's layout; a cache of another layout (or none) is dropped and rebuilt.
CACHE_FORMAT = 4
CRATE = re.compile(r"/\.cargo/registry/src/[^/]+/([^/]+)/")


def section(binary, name):
    """A section's address and size in bytes."""
    out = subprocess.run(["readelf", "-SW", binary], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        fields = line.replace("[ ", "[").split()
        if name in fields:
            i = fields.index(name)
            return int(fields[i + 2], 16), int(fields[i + 4], 16)
    sys.exit(f"own_cov.py: {binary} has no {name} section (not a libFuzzer target?)")


def owner(path):
    """Whose code a source path is: 'gazette', 'harness', 'std' or a crate's name-version."""
    if path.startswith(REPO + "/src/"):
        return "gazette"
    if path.startswith(REPO + "/fuzz/"):
        return "harness"
    if path.startswith("/rustc/"):
        return "std"
    m = CRATE.search(path)
    return m.group(1) if m else "unknown"


def symbolize(binary, pcs, cache_path):
    """Each PC's source: [outermost frame's path, innermost frame's path:line]."""
    cache = {}
    if os.path.exists(cache_path):
        with open(cache_path) as f:
            try:
                saved = json.load(f)
            except json.JSONDecodeError:
                saved = None
        if isinstance(saved, dict) and saved.get("format") == CACHE_FORMAT:
            cache = saved["paths"]
    todo = [pc for pc in pcs if pc not in cache]
    if todo:
        # `-a` starts each address's block with the address; with `-i` the inlined frames
        # follow, innermost first (the edge's own line), so a block's last line is the
        # function the edge was emitted in.
        out = subprocess.run(["addr2line", "-a", "-i", "-e", binary], input="\n".join(todo) + "\n",
                             capture_output=True, text=True, check=True).stdout
        current = None
        for line in out.splitlines():
            if line.startswith("0x"):
                current = hex(int(line, 16))
            elif current is not None:
                # `PATH:LINE`, perhaps followed by ` (discriminator N)`.
                place = line.split(" (discriminator")[0]
                if current in cache:
                    cache[current][0] = place.rsplit(":", 1)[0]
                else:
                    cache[current] = [place.rsplit(":", 1)[0], place]
        with open(cache_path + ".tmp", "w") as f:
            json.dump({"format": CACHE_FORMAT, "paths": cache}, f)
        os.replace(cache_path + ".tmp", cache_path)
    return cache


def parse_log(lines):
    """The PC table (its PCs and runtime address, or None), the status lines (seconds,
    executions, cov) and the new PCs (seconds, runtime PC) of a `fuzz/run.sh` log."""
    table = None
    status = []
    new_pcs = []
    for line in lines:
        if m := NEW_PC.match(line):
            new_pcs.append((int(m.group(1)), int(m.group(2), 16)))
        elif m := STATUS.match(line):
            status.append((int(m.group(1)), int(m.group(2)), int(m.group(3))))
        elif table is None and (m := PC_TABLE.search(line)):
            table = (int(m.group(1)), int(m.group(2), 16))
    return table, status, new_pcs


def report(status, edges, plateau_runs):
    """The report's lines, the plateau verdict last. `status` as from parse_log, non-empty;
    `edges` are (seconds, source path, whose code, its own line `src/FILE:LINE` when that is in
    Gazette's src/, else None)."""
    out = []
    end = status[-1][0]
    window = end - 600  # the last ten minutes, for the plateau test
    out.append(f"new edges after the seeds: {len(edges)}, by whose code:")
    for who, n in Counter(w for _, _, w, _ in edges).most_common(8):
        out.append(f"  {who}: {n}")
    recent = Counter(w for t, _, w, _ in edges if t > window)
    if recent:
        out.append("in the last 10 min: " + ", ".join(f"{w} +{n}" for w, n in recent.most_common(6)))
    own_recent = Counter(os.path.relpath(p, REPO) for t, p, w, _ in edges
                         if w == "gazette" and t > window)
    if own_recent:
        out.append("gazette's, by file: " + ", ".join(f"{f} +{n}" for f, n in own_recent.most_common(6)))
    lines_recent = Counter(mine for t, _, _, mine in edges if mine and t > window)
    if lines_recent:
        out.append("on lines of src/, by line: " + ", ".join(f"{f} +{n}" for f, n in lines_recent.most_common(6)))
    # The two counts of Gazette's code, each with its label in the curve and in the verdict;
    # the verdict `fuzz/run.sh` reads, on Gazette's functions, comes last.
    counts = [
        ("on lines of src/ (innermost frame)", "lines of src/", [t for t, _, _, mine in edges if mine]),
        ("gazette's new edges", "own code", [t for t, _, w, _ in edges if w == "gazette"]),
    ]
    cuts = range(300, end + 1, 300)
    if cuts:
        for curve, _, times in reversed(counts):
            marks = (f"{c // 60} min +{sum(1 for t in times if t <= c)}" for c in cuts)
            out.append(f"{curve}: " + ", ".join(marks))
    if end < 600:
        out.append("own code: less than ten minutes run, no verdict yet")
        return out
    before = [s for s in status if s[0] <= window]
    runs_then = before[-1][1] if before else 0
    ran = status[-1][1] - runs_then
    for _, name, times in counts:
        gained = sum(1 for t in times if t > window)
        verdict = "no plateau" if gained else "a plateau" if ran >= plateau_runs else "starved, not a plateau"
        out.append(f"{name}, last 10 min: +{gained} edges in {ran} executions ({verdict})")
    return out


def word_size(binary):
    """The bytes in a machine word of an ELF binary: 4 for a 32-bit one, 8 for a 64-bit one."""
    with open(binary, "rb") as f:
        ident = f.read(5)
    if ident[:4] != b"\x7fELF" or ident[4] not in (1, 2):
        sys.exit(f"own_cov.py: {binary} is not an ELF binary")
    return 4 * ident[4]


def load_base(table, address, size, word, binary, log):
    """The run's load address: where the log says the PC table was, against where the binary
    puts it. Exits when the binary's table (two words, PC and flags, per entry) has another
    number of PCs than the log's: then the binary is not the one that ran."""
    pcs, runtime = table
    entries = size // (2 * word)
    if entries != pcs:
        sys.exit(f"own_cov.py: {binary} has {entries} PCs but the fuzzer that wrote {log} had {pcs}: "
                 "not the binary that ran (another target, or rebuilt since)")
    return runtime - address


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("log")
    ap.add_argument("binary")
    ap.add_argument("--plateau-runs", type=int, default=50000)
    args = ap.parse_args()

    with open(args.log, errors="replace") as f:
        table, status, new_pcs = parse_log(f)
    if table is None or not status:
        print("own code: the fuzzer has not started yet")
        return
    address, size = section(args.binary, "__sancov_pcs")
    base = load_base(table, address, size, word_size(args.binary), args.binary, args.log)
    # libFuzzer prints the PC after the edge's; one back is inside it.
    offsets = [(t, hex(pc - 1 - base)) for t, pc in new_pcs]
    paths = symbolize(args.binary, [o for _, o in offsets], args.log + ".sym")
    edges = []
    for t, o in offsets:
        outer, inner = paths.get(o, ["??", "??"])
        mine = os.path.relpath(inner, REPO) if owner(inner) == "gazette" else None
        edges.append((t, outer, owner(outer), mine))
    print("\n".join(report(status, edges, args.plateau_runs)))


if __name__ == "__main__":
    main()
