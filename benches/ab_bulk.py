#!/usr/bin/env python3
"""Two builds of the binary side by side on the bulk action, runs interleaved:

    benches/ab_bulk.py OLD_BINARY NEW_BINARY [RUNS]
    AB_DESCRIPTION=0 benches/ab_bulk.py ...     # without the description

Each run is Lookup All Related IPs on 100,000 addresses with the description (the request
`benches/compare.sh` writes to target/bench-work), with two threads and with one
(MAXMIND_GEOLOCATE_THREADS), the builds and settings taking turns so that the machine's drift
reaches them alike. Prints the minimum and the median wall time of each, its CPU time and
page faults (medians, from the kernel's account of the child), and whether the two builds
wrote the same response. A change to the bulk is measured this way before it is kept (the
machine's noise is several milliseconds; one run of each says nothing).
"""

import os
import statistics
import subprocess
import sys
import time


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    builds = {"old": sys.argv[1], "new": sys.argv[2]}
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 21
    work = os.environ.get(
        "BENCH_WORK", os.path.join(os.path.dirname(__file__), "..", "target", "bench-work")
    )
    description = os.environ.get("AB_DESCRIPTION", "1") != "0"
    request = os.path.join(work, f"bulk-100000-{description}.json")
    if not os.path.exists(request):
        sys.exit(f"{request} is missing: run benches/compare.sh once first")
    times: dict[tuple[str, str], list[float]] = {}
    # CPU time (user and system) and minor page faults, from the kernel's account of the child.
    costs: dict[tuple[str, str], list[tuple[float, int]]] = {}
    for _ in range(runs):
        for name, binary in builds.items():
            for threads in ("2", "1"):
                env = dict(os.environ, MAXMIND_GEOLOCATE_THREADS=threads)
                # Into /dev/null: a pipe read by this script would time the pipe.
                with open(request, "rb") as stdin, open(os.devnull, "wb") as devnull:
                    start = time.perf_counter()
                    child = subprocess.Popen([binary], stdin=stdin, stdout=devnull, env=env)
                    _, status, usage = os.wait4(child.pid, 0)
                    elapsed = time.perf_counter() - start
                if status != 0:
                    sys.exit(f"{binary} failed ({status})")
                cpu = usage.ru_utime + usage.ru_stime
                times.setdefault((name, threads), []).append(elapsed)
                costs.setdefault((name, threads), []).append((cpu, usage.ru_minflt))
    for (name, threads), values in sorted(times.items()):
        cpu = statistics.median(c for c, _ in costs[(name, threads)])
        faults = statistics.median(f for _, f in costs[(name, threads)])
        print(
            f"{name} {threads} thread(s): min {min(values):.4f} s, "
            f"median {statistics.median(values):.4f} s ({len(values)} runs); "
            f"CPU {cpu:.4f} s, page faults {faults:.0f} (medians)"
        )
    for name in builds:
        two = statistics.median(times[(name, "2")])
        one = statistics.median(times[(name, "1")])
        print(f"{name}: 1 thread / 2 threads = {one / two:.2f}x")
    outputs = []
    for binary in builds.values():
        with open(request, "rb") as stdin:
            outputs.append(subprocess.run([binary], stdin=stdin, capture_output=True).stdout)
    print("responses:", "same" if outputs[0] == outputs[1] else "DIFFER")


if __name__ == "__main__":
    main()
