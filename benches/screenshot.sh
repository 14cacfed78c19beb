#!/usr/bin/env bash
# Screenshots of the description Lookup All Related IPs writes, to look at after a change to
# it: runs `bulk` (release build) on an attachment with the fixture City and ASN databases (or
# your own: DB=/path/GeoLite2-City.mmdb ASN=/path/GeoLite2-ASN.mmdb), writes the HTML and the
# offline map, and has headless Chromium take full-page PNGs. Nothing is written in the repo.
#
#   benches/screenshot.sh [ATTACHMENT] [OUT_DIR]     (defaults: the fixture report, /tmp/mmg-shots)
set -euo pipefail
cd "$(dirname "$0")/.."

attachment="${1:-fixtures/attachments/apt-report.txt}"
out="${2:-/tmp/mmg-shots}"
db="${DB:-fixtures/GeoIP2-City-Fixture.mmdb}"
asn="${ASN:-fixtures/GeoLite2-ASN-Fixture.mmdb}"
browser="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}"
[ -n "$browser" ] || { echo "no Chromium: apt-get install -y chromium, or set CHROMIUM" >&2; exit 1; }

cargo build --release --quiet
mkdir -p "$out"
bin=target/release/maxmind-geolocate
"$bin" bulk "$attachment" --db "$db" --db "$asn" --max-db-age 0 \
  --description "$out/description.html" --map "$out/map.svg" --format csv > "$out/rows.csv"

# The platform shows the description inside its own page: a plain one stands in for it.
{
  echo '<!doctype html><meta charset="utf-8"><title>description</title>'
  echo '<body style="font-family: sans-serif; max-width: 1100px; margin: 1em auto">'
  cat "$out/description.html"
  echo '</body>'
} > "$out/page.html"

shoot() { # page png width height
  "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
    --user-data-dir="$out/profile" --window-size="$3,$4" --screenshot="$2" "file://$(realpath "$1")" \
    >/dev/null 2>&1
}
shoot "$out/page.html" "$out/description.png" 1200 2400
shoot "$out/map.svg" "$out/map.png" 980 520
echo "wrote $out/description.png and $out/map.png (from $out/description.html, $out/map.svg)"
