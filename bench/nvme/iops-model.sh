#!/bin/sh
# IOPS on one core against the NVMe controller model in null mode (no data
# moved): the driver's own speed, bounded by the model thread on another CPU.
# 4 KiB random reads at QD1 and QD32, each run REPEAT times; the table shows
# the best and the median run (the host is shared: scheduling noise only ever
# lowers a run).
#
# usage: bench/nvme/iops-model.sh [BUILD_DIR] [SECONDS] [REPEAT]  (default: build 5 3)
set -eu
BUILD=${1:-build}
SECS=${2:-5}
REPEAT=${3:-3}
BIN=$BUILD/apps/udrv-nvme/udrv-nvme
[ -x "$BIN" ] || { echo "iops-model: $BIN not found: build first" >&2; exit 1; }
export UDRV_MEM=anon UDRV_LOG=${UDRV_LOG:-error}
printf "%-24s %4s %12s %12s %10s %9s %9s\n" "model:null, 1 core" "QD" "best IOPS" "median IOPS" \
	"best MiB/s" "p50_us" "p99_us"
for qd in 1 32; do
	runs=""
	for r in $(seq "$REPEAT"); do
		runs="$runs
$("$BIN" perf -d model:null -w randread -o 4k -q "$qd" -t "$SECS" --json 2>/dev/null)"
	done
	echo "$runs" | awk -v qd="$qd" '
	/"iops"/ {
		match($0, /"iops": [0-9.]+/); v = substr($0, RSTART + 8, RLENGTH - 8) + 0
		match($0, /"mibps": [0-9.]+/); m = substr($0, RSTART + 9, RLENGTH - 9) + 0
		match($0, /"p50": [0-9.]+/); p50 = substr($0, RSTART + 7, RLENGTH - 7)
		match($0, /"p99": [0-9.]+/); p99 = substr($0, RSTART + 7, RLENGTH - 7)
		n++; iops[n] = v
		if (v > best) { best = v; bm = m; b50 = p50; b99 = p99 }
	}
	END {
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
			if (iops[j] < iops[i]) { t = iops[i]; iops[i] = iops[j]; iops[j] = t }
		printf "%-24s %4d %12.0f %12.0f %10.1f %9.1f %9.1f\n", "randread 4 KiB", qd, best,
		       iops[int((n + 1) / 2)], bm, b50, b99
	}'
done
