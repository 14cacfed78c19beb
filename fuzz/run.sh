#!/usr/bin/env bash
# Runs the fuzz targets with their seed corpus, SECONDS each (default 600), two at a time.
#   fuzz/run.sh [SECONDS] [TARGET...]
# New inputs go to fuzz/corpus-work/<target> (ignored by git); findings to fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-600}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(request extract mmdb render documents documents_pdf documents_office documents_mail documents_markup documents_archive attributes)
cargo +nightly fuzz build
run() {
  mkdir -p "corpus-work/$1"
  cargo +nightly fuzz run "$1" "corpus-work/$1" "corpus/$1" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
    > "corpus-work/$1.log" 2>&1
  echo "$1: $(grep -E 'stat::number_of_executed_units' "corpus-work/$1.log" | tail -1)"
}
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  run "${targets[i]}" &
  if [ $((i + 1)) -lt ${#targets[@]} ]; then run "${targets[i + 1]}" & fi
  wait
done
