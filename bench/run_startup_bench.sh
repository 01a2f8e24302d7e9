#!/usr/bin/env bash
# Process start of two yieldflow executables, alternated (docs/performance.md, "Issue 3:
# process start without imgcodecs"). Typically the build of main against a branch's:
#
#   bench/run_startup_bench.sh BASE_YIELDFLOW [NEW_YIELDFLOW]   (NEW: build/release/app/yieldflow)
#
# Per round, in alternating order: a batch of BATCH `yieldflow --version` calls (parse the
# command line, print the usage error, exit: the start and nothing else) and one `yieldflow
# run -j2` on the bundled samples (samples/data). Then, when the issue-3 image dataset is
# cached (bench/run_image_bench.sh makes it), IMAGE_ROUNDS rounds of `run --no-patterns -j1`
# and `-j2` on the 4096-px wafers. Prints medians of wall and CPU (user + sys) seconds per call.
# Environment: YF_STARTUP_ROUNDS (9), YF_STARTUP_BATCH (20), YF_STARTUP_IMAGE_ROUNDS (3),
# YF_BENCH_DATA (build/bench-data/images).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base="${1:?usage: run_startup_bench.sh BASE_YIELDFLOW [NEW_YIELDFLOW]}"
new="${2:-$root/build/release/app/yieldflow}"
rounds="${YF_STARTUP_ROUNDS:-9}"
batch="${YF_STARTUP_BATCH:-20}"
image_rounds="${YF_STARTUP_IMAGE_ROUNDS:-3}"
images="${YF_BENCH_DATA:-$root/build/bench-data/images}/img4096x6-000.h5"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# "wall cpu" seconds of a command run `times` times (bash's time: ms resolution), per call.
timed() {
  local times=$1; shift
  local TIMEFORMAT="%R %U %S" t
  t=$( { time (for ((i = 0; i < times; i++)); do "$@" >/dev/null 2>&1 || true; done) ; } 2>&1 )
  awk -v n="$times" '{printf "%.5f %.5f\n", $1 / n, ($2 + $3) / n}' <<< "$t"
}
# One measurement of both executables into $work/<label>_<which>_{w,c}, order alternating by round.
both() {
  local round=$1 label=$2 times=$3; shift 3
  local order=(base new)
  ((round % 2)) && order=(new base)
  for which in "${order[@]}"; do
    local exe=$base
    [ "$which" = new ] && exe=$new
    rm -rf "$work/out"
    read -r w c < <(timed "$times" "$exe" "$@")
    echo "$w" >> "$work/${label}_${which}_w"
    echo "$c" >> "$work/${label}_${which}_c"
  done
}
report() {
  local label=$1
  local bw bc nw nc
  bw=$(median < "$work/${label}_base_w"); bc=$(median < "$work/${label}_base_c")
  nw=$(median < "$work/${label}_new_w"); nc=$(median < "$work/${label}_new_c")
  printf "%-22s wall %8.4f -> %8.4f s (%.3fx)   cpu %8.4f -> %8.4f s (%.3fx)\n" "$label" "$bw" "$nw" \
    "$(echo "$nw / $bw" | bc -l)" "$bc" "$nc" "$(echo "$nc / $bc" | bc -l)"
}

echo "base $base"
echo "new  $new"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((r = 0; r < rounds; r++)); do
  both "$r" version "$batch" --version
  both "$r" run_samples 1 run -q --no-progress -j2 -o "$work/out"
done
labels=(version run_samples)
if [ -f "$images" ]; then
  cat "$images" >/dev/null  # page cache warm: CPU figures, not disk figures
  for ((r = 0; r < image_rounds; r++)); do
    both "$r" images4096_j1 1 run -q --no-progress --no-patterns -j1 -o "$work/out" "$images"
    both "$r" images4096_j2 1 run -q --no-progress --no-patterns -j2 -o "$work/out" "$images"
  done
  labels+=(images4096_j1 images4096_j2)
else
  echo "($images missing: bench/run_image_bench.sh generates it; image rounds skipped)"
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "medians per call, base -> new (ratio new/base):"
for l in "${labels[@]}"; do report "$l"; done
if [ -f "$images" ]; then
  for which in base new; do
    j1=$(median < "$work/images4096_j1_${which}_w"); j2=$(median < "$work/images4096_j2_${which}_w")
    printf "%-4s images 4096: -j2 is %.3fx as fast as -j1 (wall)\n" "$which" "$(echo "$j1 / $j2" | bc -l)"
  done
fi
