#!/usr/bin/env bash
# Builds every libFuzzer target of the importers (clang, ASan + UBSan, in build/fuzz)
# and runs each for a short time on a corpus seeded from ../shared/data.
# Usage: scripts/fuzz.sh [seconds per fuzzer, default 20]
# A finding (crash, leak, sanitizer report, timeout) fails the script; the input is
# left in build/fuzz/findings/<fuzzer>/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
build=build/fuzz
cmake -S . -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DYF_BUILD_FUZZERS=ON -DYF_SANITIZE="address;undefined" \
  -DYF_BUILD_TESTS=OFF -DYF_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" --target yf_fuzzers -j "${YF_JOBS:-2}"

status=0
while read -r name exe seeds; do
  [ -n "$name" ] || continue
  corpus=$(mktemp -d)
  findings="$build/findings/$name"
  mkdir -p "$findings"
  for s in $seeds; do
    [ -e "$s" ] || continue
    find "$s" -type f | while read -r f; do
      out="$corpus/$(basename "$f")"
      case "$f" in
        *.gz) zcat "$f" > "${out%.gz}" 2>/dev/null || cp "$f" "$out" ;;
        *) cp "$f" "$out" ;;
      esac
    done
  done
  echo "fuzz: $name for ${seconds}s, $(ls "$corpus" | wc -l) seeds"
  if ! ASAN_OPTIONS="detect_leaks=1" "$exe" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -max_len=100000 -artifact_prefix="$findings/" -print_final_stats=1 >"$findings/log.txt" 2>&1; then
    echo "fuzz: $name FAILED (see $findings/log.txt)"
    tail -40 "$findings/log.txt"
    status=1
  else
    grep -E "stat::number_of_executed_units|cov:" "$findings/log.txt" | tail -2 || true
  fi
  rm -rf "$corpus"
done < "$build/fuzz/fuzzers.txt"
exit $status
