#!/usr/bin/env bash
# The benchmark of issue 2 (figures and analysis in docs/performance.md).
#
#   bench/run_bench.sh            # from the repository root (or anywhere)
#
# 1. Builds yieldflow and yf_bench_read_floor (Release, build/release) if needed.
# 2. Generates the datasets once into a cache folder (default build/bench-data):
#      yieldflow samples --bins-only --bench-product --wafers N --files 4 --seed 1
#    for N = 200000 and 50000 (2454 tested dies a wafer), and reports their size.
# 3. For each dataset, REPEATS rounds (default 3) of: the read floor
#    (yf_bench_read_floor), `yieldflow run -j1` and `yieldflow run -j2` (outputs in a
#    temporary folder, --no-progress -q), interleaved so that drift hits all three alike.
#    Before every measured command it waits until no compiler or ninja is running and
#    the cores are idle (the machine is shared).
# 4. Prints a markdown table of median wall time, wafers/s, MB/s and peak RSS, and the
#    ratios against the targets: run / floor <= 1.5, -j1 / -j2 >= 1.6, RSS flat in N.
#
# Environment: BUILD_DIR (build/release), YF_BENCH_DATA (BUILD_DIR/../bench-data),
# YF_BENCH_WAFERS ("200000 50000", the first is the main dataset), YF_BENCH_REPEATS (3),
# YF_BENCH_LOG (a file the raw per-run figures are appended to; default DATA/runs.log),
# YF_BENCH_NO_WAIT (set: measure without waiting for a quiet machine; smoke runs only),
# YF_BENCH_COMPARE (run flags, e.g. "--no-patterns": each round also runs -j1 and -j2
# with them, and the tables give what the feature they switch off costs).
# The page cache is warm (the files are read once before measuring): the figures are
# CPU figures, not disk figures.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build/release}"
data="${YF_BENCH_DATA:-$(dirname "$build")/bench-data}"
sizes=(${YF_BENCH_WAFERS:-200000 50000})
repeats="${YF_BENCH_REPEATS:-3}"
compare=(${YF_BENCH_COMPARE:-})
log="${YF_BENCH_LOG:-$data/runs.log}"
dies=2454          # tested dies of the bench product (samples/data/README.md)
map_bytes=6600     # 55 x 60 int16 cells a bin map

yf="$build/app/yieldflow"
floor="$build/bench/yf_bench_read_floor"
[ -x /usr/bin/time ] || { echo "run_bench: /usr/bin/time missing (apt-get install time; scripts/install-deps.sh)" >&2; exit 2; }

# --- build (never while measuring) -------------------------------------------------
if [ ! -f "$build/build.ninja" ]; then
  (cd "$root" && cmake --preset release >/dev/null)
fi
cmake --build "$build" --target yieldflow yf_bench_read_floor >/dev/null

# --- datasets (bins_dataset) and a quiet machine (wait_quiet): bench/common.sh ----------
source "$root/bench/common.sh"
mkdir -p "$data"

# --- one measured command: prints "wall_s peak_rss_kb" ----------------------------------
measure() {
  local label="$1"; shift
  local t; t="$(mktemp)"
  local busy; busy="$(wait_quiet)"
  local start end status=0
  start="$(date +%s.%N)"
  /usr/bin/time -f '%M %U %S' -o "$t" "$@" >"$t.out" 2>"$t.err" || status=$?
  end="$(date +%s.%N)"
  if [ "$status" -ne 0 ]; then
    echo "run_bench: $label failed with status $status:" >&2
    cat "$t.err" >&2
    exit 3
  fi
  local rss user sys; read -r rss user sys <"$t"
  local wall; wall="$(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}')"
  printf '%s %s wall %.3f user %s sys %s rss_kb %s busy_before %s%%\n' "$(date -u +%FT%TZ)" "$label" "$wall" "$user" \
    "$sys" "$rss" "$busy" >>"$log"
  if [ -s "$t.out" ]; then tail -1 "$t.out" | sed 's/^/    /' >>"$log"; fi
  rm -f "$t" "$t.out" "$t.err"
  printf '%.3f %s\n' "$wall" "$rss"
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
maxof() { printf '%s\n' "$@" | sort -g | tail -1; }
div() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.6f", a / b}'; }

echo "# run_bench $(date -u +%FT%TZ) on $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" >>"$log"

declare -A wall rss
for n in "${sizes[@]}"; do
  dir="$(bins_dataset "$n")"
  inputs=("$dir"/*.h5)
  cat "${inputs[@]}" >/dev/null  # warm the page cache
  bytes=$(du -cb "${inputs[@]}" | tail -1 | cut -f1)
  raw=$((n * map_bytes))
  printf 'dataset %s wafers: %d files, %.1f MB on disk, bin maps %.1f MB uncompressed (%.1fx)\n' "$n" "${#inputs[@]}" \
    "$(div "$bytes" 1000000)" "$(div "$raw" 1000000)" "$(div "$raw" "$bytes")" >&2

  out="$(mktemp -d)"
  w_floor=() w_j1=() w_j2=() r_floor=() r_j1=() r_j2=() w_c1=() w_c2=() r_c1=() r_c2=()
  for ((i = 1; i <= repeats; i++)); do
    read -r w r < <(measure "floor/$n" "$floor" "${inputs[@]}"); w_floor+=("$w"); r_floor+=("$r")
    for j in 1 2; do
      rm -rf "$out/j$j"
      read -r w r < <(measure "run-j$j/$n" "$yf" run -j"$j" --no-progress -q -o "$out/j$j" "${inputs[@]}")
      if [ "$j" = 1 ]; then w_j1+=("$w"); r_j1+=("$r"); else w_j2+=("$w"); r_j2+=("$r"); fi
      if [ "${#compare[@]}" -gt 0 ]; then
        rm -rf "$out/c$j"
        read -r w r < <(measure "run-j$j ${compare[*]}/$n" "$yf" run -j"$j" "${compare[@]}" --no-progress -q \
          -o "$out/c$j" "${inputs[@]}")
        if [ "$j" = 1 ]; then w_c1+=("$w"); r_c1+=("$r"); else w_c2+=("$w"); r_c2+=("$r"); fi
      fi
    done
    extra=""  # (an empty array has no [-1]: set -u stops the script)
    if [ "${#compare[@]}" -gt 0 ]; then extra=", ${compare[*]}: -j1 ${w_c1[-1]} s, -j2 ${w_c2[-1]} s"; fi
    echo "  round $i: floor ${w_floor[-1]} s, -j1 ${w_j1[-1]} s, -j2 ${w_j2[-1]} s$extra" >&2
  done
  rows=$(($(wc -l <"$out/j1/wafers.csv") - 1))
  [ "$rows" -eq "$n" ] || { echo "run_bench: wafers.csv has $rows rows, expected $n" >&2; exit 3; }
  cmp -s "$out/j1/wafers.csv" "$out/j2/wafers.csv" || { echo "run_bench: -j1 and -j2 wafers.csv differ" >&2; exit 3; }
  rm -rf "$out"
  wall[floor/$n]=$(median "${w_floor[@]}"); rss[floor/$n]=$(maxof "${r_floor[@]}")
  wall[j1/$n]=$(median "${w_j1[@]}");       rss[j1/$n]=$(maxof "${r_j1[@]}")
  wall[j2/$n]=$(median "${w_j2[@]}");       rss[j2/$n]=$(maxof "${r_j2[@]}")
  if [ "${#compare[@]}" -gt 0 ]; then
    wall[c1/$n]=$(median "${w_c1[@]}");     rss[c1/$n]=$(maxof "${r_c1[@]}")
    wall[c2/$n]=$(median "${w_c2[@]}");     rss[c2/$n]=$(maxof "${r_c2[@]}")
  fi
  printf -v "raw_$n" '%s' "$raw"
done

# --- table ------------------------------------------------------------------------------
echo
echo "| dataset | command | median wall (s) | wafers/s | bin maps MB/s | peak RSS (MB) |"
echo "|---|---|---|---|---|---|"
for n in "${sizes[@]}"; do
  raw_var="raw_$n"
  kinds=(floor j1 j2)
  if [ "${#compare[@]}" -gt 0 ]; then kinds+=(c1 c2); fi
  for k in "${kinds[@]}"; do
    case "$k" in
      floor) name="read floor (yf_bench_read_floor)";;
      j1) name="yieldflow run -j1";; j2) name="yieldflow run -j2";;
      c1) name="yieldflow run -j1 ${compare[*]}";; c2) name="yieldflow run -j2 ${compare[*]}";;
    esac
    w="${wall[$k/$n]}"
    printf '| %s wafers | %s | %.2f | %.0f | %.0f | %.0f |\n' "$n" "$name" "$w" "$(div "$n" "$w")" \
      "$(div "$(div "${!raw_var}" 1000000)" "$w")" "$(div "${rss[$k/$n]}" 1024)"
  done
done
main="${sizes[0]}"
echo
echo "| ratio (${main} wafers) | measured | target |"
echo "|---|---|---|"
printf '| run -j1 / floor | %.2f | <= 1.5 |\n' "$(div "${wall[j1/$main]}" "${wall[floor/$main]}")"
printf '| run -j2 / floor | %.2f | <= 1.5 |\n' "$(div "${wall[j2/$main]}" "${wall[floor/$main]}")"
printf '| -j1 / -j2 (speed-up) | %.2f | >= 1.6 where the floor allows |\n' "$(div "${wall[j1/$main]}" "${wall[j2/$main]}")"
printf '| speed-up the floor allows (-j1 / floor) | %.2f | >= 1.6 for the target to apply |\n' "$(div "${wall[j1/$main]}" "${wall[floor/$main]}")"
if [ "${#sizes[@]}" -gt 1 ]; then
  small="${sizes[1]}"
  for k in j1 j2; do
    printf '| peak RSS -%s, %s / %s wafers | %.2f | ~1 (flat) |\n' "${k#j}" "$main" "$small" \
      "$(div "${rss[$k/$main]}" "${rss[$k/$small]}")"
  done
fi
if [ "${#compare[@]}" -gt 0 ]; then
  for n in "${sizes[@]}"; do
    for j in 1 2; do
      printf '| %s wafers: run -j%s / run -j%s %s (cost of what it switches off) | %.3f | see docs/performance.md |\n' "$n" "$j" "$j" \
        "${compare[*]}" "$(div "${wall[j$j/$n]}" "${wall[c$j/$n]}")"
    done
  done
fi
echo
echo "Raw per-run figures: $log" >&2
