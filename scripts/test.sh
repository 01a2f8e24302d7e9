#!/usr/bin/env bash
# Quick start, part 2: installs what is missing, builds (Release), runs every test.
# With --sanitizers, also builds the ASan+UBSan preset and runs every suite under it
# (docs/architecture.md says why the TSan preset is not part of this).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh release
ctest --test-dir build/release --output-on-failure -j "$(nproc)"
# The importers' libFuzzer targets, briefly (scripts/fuzz.sh; YF_FUZZ_SECONDS=0 skips).
if [ "${YF_FUZZ_SECONDS:-20}" != "0" ]; then bash scripts/fuzz.sh "${YF_FUZZ_SECONDS:-20}"; fi
if [ "${1:-}" = "--sanitizers" ]; then
  bash scripts/build.sh asan
  ASAN_OPTIONS="detect_leaks=1" ctest --test-dir build/asan --output-on-failure -j "$(nproc)"
fi
