#!/usr/bin/env bash
# Runs the Monitor benchmark for a moment (no figures: a sanitizer build's
# timings mean nothing) and checks that every case ran.
# Usage: check_bench_monitor.sh BENCH_MONITOR
set -euo pipefail
out=$("$1" --benchmark_min_time=0.001 --benchmark_format=csv 2>/dev/null)
for name in floor_fetch_add floor_own_line naive_map_inc handle_inc name_inc timer_observe gauge_set; do
  grep -q "^\"$name/" <<<"$out" || { echo "bench_monitor did not run $name"; echo "$out"; exit 1; }
done
