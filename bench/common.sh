# Sourced by the bench scripts (run_bench.sh, run_pattern_cost.sh): the bin-map dataset they
# share, and waiting for a quiet machine before each measured command (this machine is
# shared; a benchmark measures nothing while a compiler or another benchmark holds a core).
# YF_BENCH_NO_WAIT set: measure at once (smoke runs only).

# bins_dataset N -> the folder holding the bench product's N-wafer bins-only dataset (4 files,
# seed 1), generated once into "$data/wN" with "$yf" (both set by the caller).
bins_dataset() {
  local n="$1" dir="$data/w$1"
  if [ ! -f "$dir/.complete" ]; then
    rm -rf "$dir" "$dir.tmp"
    mkdir -p "$data"
    echo "bench: generating $n wafers into $dir ..." >&2
    "$yf" samples --bins-only --bench-product --wafers "$n" --files 4 --seed 1 -o "$dir.tmp" >/dev/null
    touch "$dir.tmp/.complete"
    mv "$dir.tmp" "$dir"
  fi
  echo "$dir"
}

# Busy share of all cores (percent) over one second, from /proc/stat.
cpu_busy() {
  local a b
  read -r -a a < <(grep '^cpu ' /proc/stat)
  sleep 1
  read -r -a b < <(grep '^cpu ' /proc/stat)
  local idle=$(((b[4] + b[5]) - (a[4] + a[5]))) total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  echo $((total > 0 ? 100 - 100 * idle / total : 0))
}
# Waits until no compiler or ninja runs and the cores are idle (< 15 % busy over 1 s),
# at most an hour for the compiler and 10 minutes for the idle cores (then it measures
# anyway and says so in the log). Prints the busy share it measured last.
wait_quiet() {
  local waited=0 busy
  if [ -n "${YF_BENCH_NO_WAIT:-}" ]; then cpu_busy; return; fi  # smoke runs of this script only
  while pgrep -f 'cc1plus|ninja' >/dev/null; do
    if [ "$waited" -eq 0 ]; then echo "bench: a compiler is running, waiting ..." >&2; fi
    sleep 10
    waited=$((waited + 10))
    if [ "$waited" -ge 3600 ]; then echo "bench: still busy after an hour, giving up" >&2; exit 3; fi
  done
  waited=0
  while busy="$(cpu_busy)" && [ "$busy" -ge 15 ]; do
    if [ "$waited" -eq 0 ]; then echo "bench: cores ${busy}% busy, waiting ..." >&2; fi
    sleep 4
    waited=$((waited + 5))
    if [ "$waited" -ge 600 ]; then echo "bench: cores still ${busy}% busy, measuring anyway" >&2; break; fi
  done
  echo "$busy"
}
