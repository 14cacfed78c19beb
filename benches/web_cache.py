#!/usr/bin/env python3
"""What the web cache costs and saves, against a fake MaxMind service on loopback:

    benches/web_cache.py [--runs N] [--latency-ms MS] [--ips N] [--binary PATH] [--db FILE]

The binary: `cargo build --release` (in $CARGO_TARGET_DIR, else target/); the database:
GeoLite2-City as benches/compare.sh fetches it into target/bench-work, or MAXMIND_BENCH_DB.

Four bulk actions (Lookup All Related IPs, with the description) on 1,000 public addresses,
one process each, taking turns so that the machine's drift reaches them alike:

- `db file`:  the same action on a City database file (the yardstick of the warm run);
- `warm`:     the web service, every address already in the cache: must send nothing;
- `cold`:     the web service, none of them in the cache (a cache file that exists, with
              other answers in it, as on a machine in use): every answer is claimed, asked
              and stored;
- `no cache`: the same cold action with `cache_ttl_s: 0`.

Each cold run asks addresses of its own, so that it is cold for both. The fake answers every
query with a City body shaped like MaxMind's (about 2.7 KiB), after `--latency-ms` (the
network and the service; a few tens of ms from most places to MaxMind). Prints the medians,
and the two ratios the cache is held to: warm / db file (at most 2) and cold / no cache (at
most 1.05).
"""

import argparse
import http.server
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Public ranges only (RIPE and others): no special-purpose address is drawn.
FIRST_OCTETS = [2, 5, 31, 37, 46, 62, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90,
                91, 92, 93, 94, 95, 176, 178, 185, 188, 193, 194, 195, 212, 213, 217]


def names(en, ja, ru, zh):
    return {"de": en, "en": en, "es": en, "fr": en, "ja": ja, "pt-BR": en, "ru": ru, "zh-CN": zh}


def city_body(ip, remaining):
    """A City answer shaped like MaxMind's, for `ip`."""
    uk = names("United Kingdom", "イギリス", "Великобритания", "英国")
    octets = [int(o) for o in ip.split(".")]
    return json.dumps({
        "city": {"geoname_id": 2643743, "names": names("London", "ロンドン", "Лондон", "伦敦")},
        "continent": {"code": "EU", "geoname_id": 6255148,
                      "names": names("Europe", "ヨーロッパ", "Европа", "欧洲")},
        "country": {"iso_code": "GB", "geoname_id": 2635167, "names": uk},
        "location": {"accuracy_radius": 100, "latitude": 51.5 + octets[2] / 1000,
                     "longitude": -0.09 - octets[3] / 1000, "time_zone": "Europe/London"},
        "postal": {"code": "EC2V"},
        "registered_country": {"iso_code": "GB", "geoname_id": 2635167, "names": uk},
        "subdivisions": [{"iso_code": "ENG", "geoname_id": 6269131,
                          "names": names("England", "イングランド", "Англия", "英格兰")}],
        "traits": {"autonomous_system_number": 20000 + octets[1],
                   "autonomous_system_organization": f"Example Networks {octets[1]}",
                   "isp": f"Example Networks {octets[1]}", "organization": "Example office",
                   "ip_address": ip, "network": f"{octets[0]}.{octets[1]}.{octets[2]}.0/24"},
        "maxmind": {"queries_remaining": remaining},
    }, ensure_ascii=False, separators=(",", ":")).encode()


class Fake:
    """The fake service: answers every `/geoip/v2.1/<endpoint>/<ip>`, counts the queries."""

    def __init__(self, latency):
        self.queries = 0
        self.lock = threading.Lock()
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Head and body leave in two writes: without this, Nagle's algorithm holds the
            # body back for the client's delayed ACK (40 ms a query).
            disable_nagle_algorithm = True

            def do_GET(self):
                with fake.lock:
                    fake.queries += 1
                    remaining = 1_000_000 - fake.queries
                time.sleep(latency)
                body = city_body(self.path.rsplit("/", 1)[-1], remaining)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


def addresses(rng, n, used):
    """`n` public addresses none of the earlier calls drew (each cold run is cold)."""
    out = []
    while len(out) < n:
        ip = (f"{rng.choice(FIRST_OCTETS)}.{rng.randrange(256)}.{rng.randrange(256)}."
              f"{rng.randrange(1, 255)}")
        if ip not in used:
            used.add(ip)
            out.append(ip)
    return out


def request(config, ips):
    return json.dumps({"action": "lookup_all_related_ips", "config": config,
                       "object": {"type": "attachment", "name": "ips.txt",
                                  "content": "\n".join(ips)},
                       "params": {}}).encode()


def run(binary, body):
    """One action per process; its wall time (stdout to /dev/null: a pipe would time the pipe)."""
    env = dict(os.environ, GEOIPUPDATE_CONF_FILE="")
    with tempfile.TemporaryFile() as stdin, open(os.devnull, "wb") as devnull:
        stdin.write(body)
        stdin.seek(0)
        started = time.perf_counter()
        subprocess.run([binary], stdin=stdin, stdout=devnull, env=env, check=True)
        return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--ips", type=int, default=1000)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    parser.add_argument("--binary", default=os.path.join(target, "release", "maxmind-geolocate"))
    # GeoLite2-City as benches/compare.sh fetches it.
    parser.add_argument("--db", default=os.environ.get(
        "MAXMIND_BENCH_DB", os.path.join(target, "bench-work", "GeoLite2-City.mmdb")))
    args = parser.parse_args()
    if not os.path.exists(args.db):
        sys.exit(f"{args.db} is missing: give --db (a City database) or set MAXMIND_BENCH_DB")
    fake = Fake(args.latency_ms / 1000)
    work = tempfile.mkdtemp(prefix="web-cache-bench-")
    web = {"source": "web_api", "account_id": "42", "license_key": "LK-BENCH-KEY",
           "web_api_url": fake.url, "bypass_proxy": True,
           "cache_path": os.path.join(work, "web-cache.sqlite3")}
    files = {"db_dir": os.path.dirname(os.path.abspath(args.db)),
             "mmdb_filename": os.path.basename(args.db), "max_database_age_days": 0}
    rng, used = random.Random(2026), set()
    warm_ips = addresses(rng, args.ips, used)
    # The cache exists and holds other answers; then it holds the warm run's.
    run(args.binary, request(web, addresses(rng, args.ips, used)))
    run(args.binary, request(web, warm_ips))

    took = {name: [] for name in ("db file", "warm", "cold", "no cache")}
    for _ in range(args.runs):
        fresh = addresses(rng, 2 * args.ips, used)
        bodies = {
            "db file": request(files, warm_ips),
            "warm": request(web, warm_ips),
            "cold": request(web, fresh[: args.ips]),
            "no cache": request(dict(web, cache_ttl_s=0), fresh[args.ips:]),
        }
        for name, body in bodies.items():
            before = fake.queries
            took[name].append(run(args.binary, body))
            sent = fake.queries - before
            expected = 0 if name in ("db file", "warm") else args.ips
            if sent != expected:
                sys.exit(f"{name}: {sent} queries sent, {expected} expected")
    median = {name: statistics.median(t) for name, t in took.items()}
    print(f"{args.ips} public IPs, fake service latency {args.latency_ms:g} ms, "
          f"{args.runs} interleaved runs of each; wall time per action:")
    for name, t in took.items():
        print(f"  {name:9} median {median[name] * 1e3:9.1f} ms, min {min(t) * 1e3:9.1f} ms")
    print(f"warm / db file:   {median['warm'] / median['db file']:.2f}  (at most 2; "
          f"the warm runs sent no query)")
    print(f"cold / no cache:  {median['cold'] / median['no cache']:.3f} (at most 1.05)")


if __name__ == "__main__":
    main()
