#!/usr/bin/env python3
"""Builds of the binary side by side on `extract` of one file, runs interleaved:

    benches/ab_extract.py BINARY... FILE [RUNS]
    PIN=1 benches/ab_extract.py ...      # every run pinned to the first core (taskset -c 0)

Each turn runs every build once (`BINARY extract --max-mib 1000 FILE`, output dropped), so
that the machine's drift reaches them alike; RUNS turns (default 21). Prints each build's
minimum and median wall time, its MB/s at the median and its median CPU time (user and
system, from the kernel's account of the child). The corpus of `benches/documents.py`
(target/bench-documents/corpus.txt) is the usual FILE.
"""
import os
import resource
import statistics
import subprocess
import sys
import time


def main() -> None:
    args = sys.argv[1:]
    runs = 21
    if len(args) >= 3 and args[-1].isdigit():
        runs = int(args.pop())
    if len(args) < 2:
        sys.exit(__doc__)
    *builds, path = args
    pin = ["taskset", "-c", "0"] if os.environ.get("PIN") else []
    wall = {b: [] for b in builds}
    cpu = {b: [] for b in builds}
    for _ in range(runs):
        for b in builds:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(pin + [b, "extract", "--max-mib", "1000", path], stdout=subprocess.DEVNULL, check=True)
            wall[b].append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[b].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    size = os.path.getsize(path)
    for b in builds:
        median = statistics.median(wall[b])
        print(f"{b}: wall min {min(wall[b]):.3f} s, median {median:.3f} s ({size / median / 1e6:.0f} MB/s); "
              f"CPU median {statistics.median(cpu[b]):.3f} s ({runs} runs{', pinned' if pin else ''})")


if __name__ == "__main__":
    main()
