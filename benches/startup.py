#!/usr/bin/env python3
"""One Lookup action per process, builds side by side: interleaved runs, median and minimum.

    benches/startup.py [--runs N] [--request FILE] BINARY [BINARY...]

Compares builds of the same code (the static-pie build against `cargo build --release`, a
linker flag, an allocator): each run spawns the binary, writes the request to its stdin and
waits for it to exit; the builds take turns so that the machine's drift hits them alike.
The request defaults to the bench's GeoLite2-City lookup (benches/compare.sh writes it).
"""
import argparse
import os
import statistics
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--request", default=os.path.join(ROOT, "target", "bench-work", "request.json"))
    parser.add_argument("binaries", nargs="+")
    args = parser.parse_args()
    with open(args.request, "rb") as f:
        request = f.read()
    took = {b: [] for b in args.binaries}
    for _ in range(args.runs):
        for binary in args.binaries:
            started = time.perf_counter()
            subprocess.run([binary], input=request, stdout=subprocess.DEVNULL, check=True)
            took[binary].append(time.perf_counter() - started)
    for binary, times in took.items():
        print(f"{binary}: median {statistics.median(times) * 1e3:.3f} ms, min {min(times) * 1e3:.3f} ms ({args.runs} runs)")


if __name__ == "__main__":
    main()
