#!/usr/bin/env bash
# What the pattern classification (issue 6) adds to a bin-map run, measured in PAIRS.
#
#   bench/run_pattern_cost.sh [ROUNDS]        # from anywhere; default 12 rounds
#
# Why pairs: this host's own speed drifts by +-5 % within minutes (docs/performance.md),
# as much as the effect measured, so separate medians of "with" and "without" runs taken
# minutes apart cannot resolve it. Each round here runs, at -j1 and at -j2, `yieldflow run`
# with patterns and with --no-patterns back to back (the order swapped every round, so
# neither always runs first), and takes the ratio of the two. Drift slower than a pair
# cancels in the ratio; the median of the rounds' ratios, with a distribution-free 95 %
# interval (order statistics of the binomial), is the figure.
#
# Dataset: the bench product's bins-only dataset of run_bench.sh (YF_BENCH_WAFERS wafers,
# default 50000, 4 files, generated once into the same cache). Waits for a quiet machine
# before every command (bench/common.sh). Per-run figures go to the log (DATA/cost.log).
# Environment: BUILD_DIR (build/release), YF_BENCH_DATA (BUILD_DIR/../bench-data),
# YF_BENCH_WAFERS (50000), YF_BENCH_NO_WAIT.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$root/build/release}"
data="${YF_BENCH_DATA:-$(dirname "$build")/bench-data}"
n="${YF_BENCH_WAFERS:-50000}"
rounds="${1:-12}"
log="$data/cost.log"
yf="$build/app/yieldflow"
[ -x /usr/bin/time ] || { echo "run_pattern_cost: /usr/bin/time missing (scripts/install-deps.sh)" >&2; exit 2; }
[ "$rounds" -ge 6 ] 2>/dev/null || { echo "run_pattern_cost: ROUNDS must be a number >= 6" >&2; exit 2; }

source "$root/bench/common.sh"  # bins_dataset, wait_quiet

if [ ! -f "$build/build.ninja" ]; then (cd "$root" && cmake --preset release >/dev/null); fi
cmake --build "$build" --target yieldflow >/dev/null

dir="$(bins_dataset "$n")"
inputs=("$dir"/*.h5)
cat "${inputs[@]}" >/dev/null  # warm the page cache

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

# one measured run: prints "wall_s cpu_s"
measure() {
  local label="$1"; shift
  local busy; busy="$(wait_quiet)"
  rm -rf "$out/o"
  local start end status=0
  start="$(date +%s.%N)"
  /usr/bin/time -f '%U %S' -o "$out/t" "$@" -o "$out/o" "${inputs[@]}" >/dev/null 2>"$out/err" || status=$?
  end="$(date +%s.%N)"
  if [ "$status" -ne 0 ]; then echo "run_pattern_cost: $label failed ($status):" >&2; cat "$out/err" >&2; exit 3; fi
  local user sys wall cpu; read -r user sys <"$out/t"
  read -r wall cpu < <(awk -v a="$start" -v b="$end" -v u="$user" -v s="$sys" 'BEGIN {printf "%.3f %.2f\n", b - a, u + s}')
  echo "$wall $cpu"
  printf '%s %s wall %s cpu %s busy_before %s%%\n' "$(date -u +%FT%TZ)" "$label" "$wall" "$cpu" "$busy" >>"$log"
}

echo "# run_pattern_cost $(date -u +%FT%TZ) $(git -C "$root" rev-parse --short HEAD) $n wafers, $rounds rounds" >>"$log"
declare -A ratios cpu_ratios
for ((i = 1; i <= rounds; i++)); do
  line="  round $i:"
  for j in 1 2; do
    with=("$yf" run -j"$j" --no-progress -q)
    without=("$yf" run -j"$j" --no-patterns --no-progress -q)
    if ((i % 2)); then
      read -r ww cw < <(measure "j$j patterns" "${with[@]}")
      read -r wo co < <(measure "j$j no-patterns" "${without[@]}")
    else
      read -r wo co < <(measure "j$j no-patterns" "${without[@]}")
      read -r ww cw < <(measure "j$j patterns" "${with[@]}")
    fi
    r="$(awk -v a="$ww" -v b="$wo" 'BEGIN {printf "%.4f", a / b}')"
    c="$(awk -v a="$cw" -v b="$co" 'BEGIN {printf "%.4f", a / b}')"
    ratios[$j]+="$r "; cpu_ratios[$j]+="$c "
    line+=" -j$j $ww / $wo s = $r (cpu $c);"
  done
  echo "$line" | tee -a "$log" >&2
done

# median and the 95 % order-statistic interval of the median of n values
summary() {
  printf '%s\n' $1 | sort -g | awk '
    {a[NR] = $1}
    END {
      n = NR; med = (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
      k = int((n - 1.96 * sqrt(n)) / 2); if (k < 1) k = 1
      printf "%.3f | %.3f - %.3f | %.3f - %.3f", med, a[k], a[n + 1 - k], a[1], a[n]
    }'
}
echo
echo "$n wafers, $rounds paired rounds, $(git -C "$root" rev-parse --short HEAD), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| with / without patterns | median | 95 % interval of the median | all rounds |"
echo "|---|---:|---:|---:|"
for j in 1 2; do
  echo "| -j$j wall | $(summary "${ratios[$j]}") |"
  echo "| -j$j CPU (user+sys) | $(summary "${cpu_ratios[$j]}") |"
done
