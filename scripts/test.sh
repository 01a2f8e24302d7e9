#!/usr/bin/env bash
# Quick start, part 2: installs what is missing, builds (Release), runs every test.
# With --sanitizers, also builds the ASan+UBSan and TSan presets and runs the
# io, stages, pipeline and app suites under them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh release
ctest --test-dir build/release --output-on-failure -j "$(nproc)"
if [ "${1:-}" = "--sanitizers" ]; then
  for preset in asan tsan; do
    bash scripts/build.sh "$preset"
    TSAN_OPTIONS="halt_on_error=1" ASAN_OPTIONS="detect_leaks=1" \
      ctest --test-dir "build/$preset" --output-on-failure -j "$(nproc)"
  done
fi
