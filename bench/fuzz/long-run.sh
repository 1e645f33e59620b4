#!/usr/bin/env bash
# Long libFuzzer runs of every harness in tests/fuzz, one after the other, at
# the lowest CPU priority (the machine may be shared), each until it reaches
# RUNS executions or SECONDS pass. A run goes on past a crash, a timeout or an
# allocation over 64 MiB (each input is kept), so the counts are complete.
# Prints one line per harness: executions, exec/s, findings, for docs/fuzz.md.
#
#   bench/fuzz/long-run.sh [-b BUILD_DIR] [-n RUNS] [-t SECONDS] [HARNESS...]
#   e.g. bench/fuzz/long-run.sh -n 10000000 fuzz_virtio_net fuzz_nvme_cqe
#
# BUILD_DIR (default build-clang) must be configured with CC=clang and
# -Dfuzz=true, as scripts/test.sh does. The grown corpus is kept in
# BUILD_DIR/fuzz-long/HARNESS (seeded from tests/fuzz/corpus); crashing inputs
# go to BUILD_DIR/fuzz-long/HARNESS-crash-* (replay: HARNESS FILE).
set -euo pipefail
usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$src/build-clang runs=10000000 secs=86400
while getopts "b:n:t:h" o; do
  case $o in
    b) build=$(cd "$OPTARG" && pwd) ;;
    n) runs=$OPTARG ;;
    t) secs=$OPTARG ;;
    h) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[[ $runs =~ ^[0-9]+$ && $secs =~ ^[0-9]+$ ]] || { echo "long-run: -n and -t take whole numbers" >&2; exit 2; }
harnesses=("$@")
((${#harnesses[@]})) || harnesses=(fuzz_nvme_cqe fuzz_nvme_bringup fuzz_virtio_net fuzz_e1000e)
out=$build/fuzz-long
mkdir -p "$out"
ninja -C "$build" "${harnesses[@]/#/tests/fuzz/}" >/dev/null || {
  echo "long-run: cannot build the harnesses in $build: set it up with" \
       "CC=clang meson setup $build -Dfuzz=true" >&2; exit 1; }
printf '%-18s %12s %9s %8s  %s\n' harness executions exec/s findings seconds
for h in "${harnesses[@]}"; do
  exe=$build/tests/fuzz/$h
  mkdir -p "$out/$h"
  log=$out/$h.log
  start=$(date +%s)
  (cd "$out" && nice -n 19 "$exe" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 \
     -ignore_ooms=1 -malloc_limit_mb=64 -runs="$runs" -max_total_time="$secs" -timeout=10 \
     -rss_limit_mb=4096 -artifact_prefix="$out/$h-" \
     "$out/$h" "$src/tests/fuzz/corpus/$h" >"$log" 2>&1) || true
  t=$(( $(date +%s) - start ))
  n=$( (grep -o '^#[0-9]*' "$log" || true) | tail -1 | tr -d '#')
  n=${n:-0}
  c=$( (ls "$out/$h"-crash-* "$out/$h"-oom-* "$out/$h"-timeout-* 2>/dev/null || true) | wc -l)
  printf '%-18s %12s %9s %8s  %s\n' "$h" "$n" "$(( t ? n / t : 0 ))" "$c" "$t"
done
