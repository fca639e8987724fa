"""Tests of fuzz/own_cov.py on made-up logs: `python3 -m unittest discover -s fuzz -p 'test_*.py'`
(run by `.ci/run`). The symbolizing itself (readelf and addr2line on a fuzz binary) needs a
nightly build and is checked by hand against real logs; see RELIABILITY.md."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import own_cov  # noqa: E402

SRC = own_cov.REPO + "/src/ingest/date.rs"
CRATE = "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/html5ever-0.40.1/src/tokenizer/mod.rs"


def status_line(seconds, runs, cov):
    return f"{seconds} #{runs}\tNEW    cov: {cov} ft: 997 corp: 17/40Kb lim: 4472 exec/s: 0 rss: 71Mb\n"


class ParseLog(unittest.TestCase):
    def test_reads_the_table_the_status_lines_and_the_new_pcs(self):
        lines = [
            "0 INFO: Loaded 1 PC tables (1280 PCs): 1280 [0x560ec525b918,0x560ec5260918), \n",
            "0 #17\tINITED cov: 392 ft: 972 corp: 16/38Kb exec/s: 0 rss: 71Mb\n",
            "0 \tNEW_PC: 0x560ec51bffcc\n",
            status_line(0, 18, 395),
            "61 #4096\tpulse  cov: 403 ft: 1013 corp: 18/42Kb lim: 4472 exec/s: 67 rss: 71Mb\n",
            "62 \tNEW_PC: 0x560ec51c0000\n",
            "62 INFO: a line of no interest\n",
        ]
        table, status, new_pcs = own_cov.parse_log(lines)
        self.assertEqual(table, (1280, 0x560EC525B918))
        self.assertEqual(status, [(0, 17, 392), (0, 18, 395), (61, 4096, 403)])
        self.assertEqual(new_pcs, [(0, 0x560EC51BFFCC), (62, 0x560EC51C0000)])

    def test_a_log_before_the_fuzzer_starts_has_no_table(self):
        table, status, new_pcs = own_cov.parse_log(["INFO: Running with entropic power schedule\n"])
        self.assertIsNone(table)
        self.assertEqual((status, new_pcs), ([], []))


class Owner(unittest.TestCase):
    def test_sorts_paths_by_whose_code(self):
        self.assertEqual(own_cov.owner(SRC), "gazette")
        self.assertEqual(own_cov.owner(own_cov.REPO + "/fuzz/fuzz_targets/query.rs"), "harness")
        self.assertEqual(own_cov.owner("/rustc/e50aa6fb/library/core/src/ptr/mod.rs"), "std")
        self.assertEqual(own_cov.owner(CRATE), "html5ever-0.40.1")
        self.assertEqual(own_cov.owner("??"), "unknown")
        # A sibling directory whose name starts like the repository's is not Gazette's.
        self.assertEqual(own_cov.owner(own_cov.REPO + "-old/src/lib.rs"), "unknown")


class Report(unittest.TestCase):
    def test_no_own_edge_in_ten_minutes_over_enough_runs_is_a_plateau(self):
        status = [(0, 100, 10), (300, 40_000, 20), (900, 200_000, 30)]
        edges = [(10, SRC, "gazette", "src/ingest/date.rs:20"), (250, SRC, "gazette", None),
                 (800, CRATE, "html5ever-0.40.1", None)]
        out = own_cov.report(status, edges, 50_000)
        self.assertEqual(out[-1], "own code, last 10 min: +0 edges in 160000 executions (a plateau)")
        self.assertEqual(out[-2], "lines of src/, last 10 min: +0 edges in 160000 executions (a plateau)")
        self.assertIn("gazette's new edges: 5 min +2, 10 min +2, 15 min +2", out)
        self.assertIn("on lines of src/ (innermost frame): 5 min +1, 10 min +1, 15 min +1", out)
        self.assertIn("in the last 10 min: html5ever-0.40.1 +1", out)
        self.assertNotIn("gazette's, by file", "\n".join(out))
        self.assertNotIn("by line", "\n".join(out))

    def test_an_own_edge_in_the_last_ten_minutes_is_no_plateau(self):
        status = [(0, 100, 10), (300, 40_000, 20), (900, 200_000, 30)]
        out = own_cov.report(status, [(301, SRC, "gazette", None)], 50_000)
        self.assertEqual(out[-1], "own code, last 10 min: +1 edges in 160000 executions (no plateau)")
        self.assertIn("gazette's, by file: src/ingest/date.rs +1", out)

    def test_the_two_counts_are_tested_apart(self):
        # An edge of a dependency inlined into a Gazette function counts as Gazette's, but its
        # line is not in src/; a Gazette closure inlined into a crate's function the reverse.
        status = [(0, 100, 10), (900, 200_000, 30)]
        out = own_cov.report(status, [(700, SRC, "gazette", None)], 50_000)
        self.assertEqual(out[-2], "lines of src/, last 10 min: +0 edges in 199900 executions (a plateau)")
        self.assertEqual(out[-1], "own code, last 10 min: +1 edges in 199900 executions (no plateau)")
        out = own_cov.report(status, [(700, CRATE, "html5ever-0.40.1", "src/passage.rs:229")], 50_000)
        self.assertEqual(out[-2], "lines of src/, last 10 min: +1 edges in 199900 executions (no plateau)")
        self.assertIn("on lines of src/, by line: src/passage.rs:229 +1", out)
        self.assertEqual(out[-1], "own code, last 10 min: +0 edges in 199900 executions (a plateau)")

    def test_too_few_executions_is_starved_not_a_plateau(self):
        status = [(0, 100, 10), (300, 40_000, 20), (900, 60_000, 30)]
        out = own_cov.report(status, [], 50_000)
        self.assertEqual(out[-1], "own code, last 10 min: +0 edges in 20000 executions "
                                  "(starved, not a plateau)")

    def test_less_than_ten_minutes_gives_no_verdict(self):
        out = own_cov.report([(0, 1, 1), (599, 10**6, 2)], [], 50_000)
        self.assertEqual(out[-1], "own code: less than ten minutes run, no verdict yet")


class LoadBase(unittest.TestCase):
    def test_the_load_address_is_the_runtime_table_less_the_binarys(self):
        self.assertEqual(own_cov.load_base((1280, 0x560EC525B918), 0xD8918, 0x5000, 8, "bin", "log"),
                         0x560EC5183000)

    def test_a_binary_with_another_pc_table_is_refused(self):
        with self.assertRaises(SystemExit) as e:
            own_cov.load_base((1280, 0x560EC525B918), 0xD8918, 0x5010, 8, "bin/passages", "x.log")
        self.assertIn("bin/passages has 1281 PCs but the fuzzer that wrote x.log had 1280", str(e.exception))

    def test_a_32_bit_binary_has_8_byte_entries(self):
        self.assertEqual(own_cov.load_base((1280, 0x5000), 0x1000, 0x2800, 4, "bin", "log"), 0x4000)
        with self.assertRaises(SystemExit):
            own_cov.load_base((1280, 0x5000), 0x1000, 0x2800, 8, "bin", "log")


class WordSize(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.dir)

    def binary(self, head):
        path = os.path.join(self.dir, "bin")
        with open(path, "wb") as f:
            f.write(head + bytes(59))
        return path

    def test_reads_the_elf_class(self):
        self.assertEqual(own_cov.word_size(self.binary(b"\x7fELF\x01")), 4)
        self.assertEqual(own_cov.word_size(self.binary(b"\x7fELF\x02")), 8)

    def test_a_file_that_is_not_elf_is_refused(self):
        with self.assertRaises(SystemExit) as e:
            own_cov.word_size(self.binary(b"#!/bin/sh\n"))
        self.assertIn("is not an ELF binary", str(e.exception))


class SymbolCache(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.cache = os.path.join(self.dir, "x.log.sym")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_a_cache_of_this_format_is_used_as_it_is(self):
        with open(self.cache, "w") as f:
            json.dump({"format": own_cov.CACHE_FORMAT, "paths": {"0x10": [SRC, CRATE]}}, f)
        # No PC is missing, so the binary (which does not exist) is never read.
        self.assertEqual(own_cov.symbolize("/nonexistent", ["0x10"], self.cache), {"0x10": [SRC, CRATE]})

    @unittest.skipUnless(shutil.which("addr2line"), "needs binutils' addr2line")
    def test_a_cache_of_another_format_is_dropped_and_rebuilt(self):
        # Until b85aacc the cache mapped PCs to owners ("gazette"); read as paths, they were
        # "unknown". Then, until format 3, to the outermost frame's path alone; in format 3,
        # to the outermost and innermost frames' paths, without the line.
        for old in [{"0x10": "gazette"}, {"format": 2, "paths": {"0x10": SRC}},
                    {"format": 3, "paths": {"0x10": [SRC, SRC]}}]:
            with open(self.cache, "w") as f:
                json.dump(old, f)
            paths = own_cov.symbolize(sys.executable, ["0x10"], self.cache)
            self.assertEqual(len(paths["0x10"]), 2)
            self.assertNotIn(SRC, paths["0x10"])
        with open(self.cache) as f:
            self.assertEqual(json.load(f)["format"], own_cov.CACHE_FORMAT)

    def test_keeps_the_outermost_path_and_the_innermost_line(self):
        # addr2line -a -i: the address, then the frames innermost first.
        out = (f"0x0000000000000010\n{CRATE}:412 (discriminator 3)\n{SRC}:20\n"
               f"0x0000000000000020\n{SRC}:80\n")
        done = subprocess.CompletedProcess([], 0, stdout=out, stderr="")
        with mock.patch.object(own_cov.subprocess, "run", return_value=done):
            paths = own_cov.symbolize("bin", ["0x10", "0x20"], self.cache)
        self.assertEqual(paths, {"0x10": [SRC, CRATE + ":412"], "0x20": [SRC, SRC + ":80"]})


if __name__ == "__main__":
    unittest.main()
