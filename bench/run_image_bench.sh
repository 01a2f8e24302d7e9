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
# medians: wall seconds, wafers/s, megapixels/s, and the ratios against the targets
# (-j2 >= 1.7x -j1; run -j1 <= 1.5x the slower floor), then the same on CPU seconds
# (user + sys of the run; thread CPU of the floors), which a crowded machine distorts less:
# on a machine whose load exceeds its cores, wall-time ratios measure the neighbours.
# Then the batch throughput: the same runs on a file of 3x the wafers (same seed and size),
# and per mode the time an extra wafer costs, (T(3n) - T(n)) / 2n. That difference leaves
# out what a run pays once whatever its length - the process start, each worker's first
# wafer faulting in its buffers, the last wafers ending unevenly, the outputs - so it is
# the rate a long batch runs at; the small run's ratio mixes both.
# Environment: BUILD_DIR (build/release), YF_BENCH_DATA, YF_BENCH_REPEATS (3),
# YF_IMG_WAFERS_2048 (16), YF_IMG_WAFERS_4096 (6), YF_IMG_BATCH (1; 0 skips the 3x files).
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
batch="${YF_IMG_BATCH:-1}"
# The wafer count is in the name: a cached file of another count must not be reused.
make_data() {  # size wafers
  local f="$data/img$1x$2-000.h5"
  if [ ! -f "$f" ]; then
    "$yf" samples --seed 5 --wafers "$2" --images "$2" --image-size "$1" --files 1 --prefix "img$1x$2" -o "$data" >/dev/null
  fi
  cat "$f" >/dev/null  # warm page cache: CPU figures, not disk figures
}
for size in 2048 4096; do
  make_data "$size" "${wafers[$size]}"
  [ "$batch" = 0 ] || make_data "$size" $((3 * ${wafers[$size]}))
done

[ -x /usr/bin/time ] || { echo "run_image_bench: /usr/bin/time missing (scripts/install-deps.sh)" >&2; exit 2; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# Prints "wall cpu" of a command (cpu = user + sys, every thread).
timed() { /usr/bin/time -f "%e %U %S" -o "$data/time.txt" "$@" >/dev/null 2>&1; awk '{print $1, $2 + $3}' "$data/time.txt"; }

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A rows_wall rows_cpu rows_batch
for size in 2048 4096; do
  n=${wafers[$size]}
  f="$data/img${size}x${n}-000.h5"
  mp=$(echo "$n * $size * $size / 1000000" | bc -l)
  for x in rw rc ow oc j1w j1c j2w j2c b1w b1c b2w b2c; do : > "$data/$x.txt"; done
  for ((k = 0; k < repeats; k++)); do
    read -r _ _ _ w c < <("$floor" read "$f"); echo "$w" >> "$data/rw.txt"; echo "$c" >> "$data/rc.txt"
    read -r _ _ _ w c < <("$floor" opencv "$f"); echo "$w" >> "$data/ow.txt"; echo "$c" >> "$data/oc.txt"
    out=$(mktemp -d)
    read -r w c < <(timed "$yf" run -q --no-progress --no-patterns -j1 -o "$out" "$f"); echo "$w" >> "$data/j1w.txt"; echo "$c" >> "$data/j1c.txt"
    read -r w c < <(timed "$yf" run -q --no-progress --no-patterns -j2 -o "$out" "$f"); echo "$w" >> "$data/j2w.txt"; echo "$c" >> "$data/j2c.txt"
    if [ "$batch" != 0 ]; then
      fb="$data/img${size}x$((3 * n))-000.h5"
      read -r w c < <(timed "$yf" run -q --no-progress --no-patterns -j1 -o "$out" "$fb"); echo "$w" >> "$data/b1w.txt"; echo "$c" >> "$data/b1c.txt"
      read -r w c < <(timed "$yf" run -q --no-progress --no-patterns -j2 -o "$out" "$fb"); echo "$w" >> "$data/b2w.txt"; echo "$c" >> "$data/b2c.txt"
    fi
    rm -rf "$out"
  done
  if [ "$batch" != 0 ]; then
    b1=$(median < "$data/b1w.txt"); b2=$(median < "$data/b2w.txt")
    j1=$(median < "$data/j1w.txt"); j2=$(median < "$data/j2w.txt")
    m1=$(echo "($b1 - $j1) / (2 * $n)" | bc -l); m2=$(echo "($b2 - $j2) / (2 * $n)" | bc -l)
    rows_batch[$size]=$(printf "| %s | %s / %s | %.2f / %.2f | %.2f / %.2f | %.2f | %.3f | %.3f | %.2f | %.2f | %.2f |" \
      "$size" "$n" "$((3 * n))" "$j1" "$b1" "$j2" "$b2" "$(echo "$b1 / $b2" | bc -l)" "$m1" "$m2" \
      "$(echo "1 / $m1" | bc -l)" "$(echo "1 / $m2" | bc -l)" "$(echo "$m1 / $m2" | bc -l)")
  fi
  for kind in w c; do
    r=$(median < "$data/r$kind.txt"); o=$(median < "$data/o$kind.txt")
    j1=$(median < "$data/j1$kind.txt"); j2=$(median < "$data/j2$kind.txt")
    slower=$(echo "if ($r > $o) $r else $o" | bc -l)
    row=$(printf "| %s | %s | %.0f | %.2f | %.2f | %.2f | %.2f | %.3f | %.3f | %.2f | %.2f | %.2f | %.2f |" \
      "$size" "$n" "$mp" "$r" "$o" "$j1" "$j2" "$(echo "$n / $j1" | bc -l)" "$(echo "$n / $j2" | bc -l)" \
      "$(echo "$mp / $j1" | bc -l)" "$(echo "$mp / $j2" | bc -l)" "$(echo "$j1 / $j2" | bc -l)" "$(echo "$j1 / $slower" | bc -l)")
    if [ "$kind" = w ]; then rows_wall[$size]="$row"; else rows_cpu[$size]="$row"; fi
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
header="| size | wafers | MP | read floor s | OpenCV floor s | run -j1 s | run -j2 s | -j1 wafers/s | -j2 wafers/s | -j1 MP/s | -j2 MP/s | -j1 / -j2 | -j1 / slower floor |
|---|---|---|---|---|---|---|---|---|---|---|---|---|"
echo; echo "Wall time (medians of $repeats):"; echo "$header"; for size in 2048 4096; do echo "${rows_wall[$size]}"; done
echo; echo "CPU time, user + sys (medians of $repeats; for -j2 the sum over both threads, so -j1 / -j2 ~ 1 means no extra work):"
echo "$header"; for size in 2048 4096; do echo "${rows_cpu[$size]}"; done
if [ "$batch" != 0 ]; then
  echo; echo "Batch throughput, wall (medians of $repeats): the 3n run's -j1 / -j2, and an extra wafer's time"
  echo "(T(3n) - T(n)) / 2n, a difference of medians, so noisier than the runs themselves:"
  echo "| size | wafers n / 3n | run -j1 s, n / 3n | run -j2 s, n / 3n | -j1 / -j2, 3n | extra wafer -j1 s | extra wafer -j2 s | -j1 wafers/s | -j2 wafers/s | -j1 / -j2, extra wafers |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  for size in 2048 4096; do echo "${rows_batch[$size]}"; done
fi
