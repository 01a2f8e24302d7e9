#!/usr/bin/env bash
# The image benchmark of issue 3 (figures in docs/performance.md, "Images").
#
#   bench/run_image_bench.sh
#
# Generates (once, cached in YF_BENCH_DATA, default build/bench-data/images) image
# datasets of 2048x2048 and 4096x4096 wafers, then per size REPEATS rounds (default 3)
# of, interleaved: the read floor (read + inflate, one thread), the OpenCV floor (the
# stage's core OpenCV operations on the decoded images, one thread), `yieldflow run -j1`
# and `-j2` (--no-patterns: the image stage and the rest of process_wafer). Prints the
# medians: seconds, wafers/s, megapixels/s, and the ratios against the targets
# (-j2 >= 1.7x -j1; run -j1 <= 1.5x the slower floor).
# Environment: BUILD_DIR (build/release), YF_BENCH_DATA, YF_BENCH_REPEATS (3),
# YF_IMG_WAFERS_2048 (16), YF_IMG_WAFERS_4096 (6).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build/release}"
data="${YF_BENCH_DATA:-$(dirname "$build")/bench-data/images}"
repeats="${YF_BENCH_REPEATS:-3}"
yf="$build/app/yieldflow"
floor="$build/bench/yf_bench_image_floor"
cmake --build "$build" --target yieldflow yf_bench_image_floor >/dev/null
mkdir -p "$data"

declare -A wafers=([2048]="${YF_IMG_WAFERS_2048:-16}" [4096]="${YF_IMG_WAFERS_4096:-6}")
for size in 2048 4096; do
  n=${wafers[$size]}
  f="$data/img${size}-000.h5"
  if [ ! -f "$f" ]; then
    "$yf" samples --seed 5 --wafers "$n" --images "$n" --image-size "$size" --files 1 --prefix "img${size}" -o "$data" >/dev/null
  fi
  cat "$f" >/dev/null  # warm page cache: CPU figures, not disk figures
done

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
timed() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| size | wafers | MP | read floor s | OpenCV floor s | run -j1 s | run -j2 s | -j1 wafers/s | -j2 wafers/s | -j1 MP/s | -j2 MP/s | -j2 speed-up | -j1 / slower floor |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for size in 2048 4096; do
  f="$data/img${size}-000.h5"
  n=${wafers[$size]}
  mp=$(echo "$n * $size * $size / 1000000" | bc -l)
  : > "$data/r.txt"; : > "$data/o.txt"; : > "$data/j1.txt"; : > "$data/j2.txt"
  for ((k = 0; k < repeats; k++)); do
    "$floor" read "$f" | awk '{print $4}' >> "$data/r.txt"
    "$floor" opencv "$f" | awk '{print $4}' >> "$data/o.txt"
    out=$(mktemp -d)
    timed "$yf" run -q --no-progress --no-patterns -j1 -o "$out" "$f" >> "$data/j1.txt"
    timed "$yf" run -q --no-progress --no-patterns -j2 -o "$out" "$f" >> "$data/j2.txt"
    rm -rf "$out"
  done
  r=$(median < "$data/r.txt"); o=$(median < "$data/o.txt"); j1=$(median < "$data/j1.txt"); j2=$(median < "$data/j2.txt")
  slower=$(echo "if ($r > $o) $r else $o" | bc -l)
  printf "| %s | %s | %.0f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.1f | %.1f | %.2f | %.2f |\n" \
    "$size" "$n" "$mp" "$r" "$o" "$j1" "$j2" "$(echo "$n / $j1" | bc -l)" "$(echo "$n / $j2" | bc -l)" \
    "$(echo "$mp / $j1" | bc -l)" "$(echo "$mp / $j2" | bc -l)" "$(echo "$j1 / $j2" | bc -l)" "$(echo "$j1 / $slower" | bc -l)"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
