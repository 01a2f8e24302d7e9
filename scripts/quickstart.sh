#!/usr/bin/env bash
# Quick start, part 1: installs what is missing, builds (Release), and runs the
# main job on the bundled samples, writing out/ (wafers.csv, summary.json, results.h5).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh release
./build/release/app/yieldflow run -o out samples/data/*.h5
echo "quickstart: outputs in $(pwd)/out"
