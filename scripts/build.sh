#!/usr/bin/env bash
# Configures and builds yieldflow with Ninja. Usage: scripts/build.sh [preset]
# (release by default; debug, asan, tsan: see CMakePresets.json).
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
cmake --preset "$preset" >/dev/null
cmake --build "build/$preset"
