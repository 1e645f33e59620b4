#!/bin/sh
# Whole-process user-space instructions per I/O of `udrv-nvme perf` in the
# rig, through real VFIO on QEMU's NVMe controller: perf runs twice under
# valgrind --tool=callgrind (512 B random reads, QD32, one core), for SHORT
# and LONG seconds; the difference in instructions divided by the difference
# in completed I/Os is the cost of one I/O, start-up and tear-down cancelling
# out. Everything the process executes counts: the driver, the tool's I/O
# loop, empty polls, the status thread. Callgrind counts instructions
# exactly, so the figure does not depend on the host's load (the number of
# empty polls per I/O does, a little: the device's speed relative to the
# instrumented program sets it; the table shows them).
#
# Also prints the functions that account for the difference, per I/O.
#
# usage: bench/nvme/callgrind-perf-rig.sh [BUILD_DIR] [SHORT] [LONG]  (default: build 1 3)
# Exit 77 when the rig or valgrind is missing; 1 when above TARGET (default 236).
set -eu
if [ "${1:-}" = --guest ]; then
	B=$2 SHORT=$3 LONG=$4 TARGET=$5
	set -- $UDRV_RIG_NVME
	bdf=$1
	U=$B/apps/udrv-nvme/udrv-nvme
	out=$(mktemp -d)
	run() { # SECONDS
		valgrind --tool=callgrind --callgrind-out-file="$out/cg.$1" \
			"$U" perf -d "$bdf" -w randread -o 512 -q 32 -t "$1" -c 0, --json \
			>"$out/json.$1" 2>"$out/err.$1" || { cat "$out/err.$1" >&2; exit 1; }
		callgrind_annotate --inclusive=no --auto=no --threshold=100 "$out/cg.$1" >"$out/annot.$1" 2>/dev/null
	}
	total() { awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }' "$out/annot.$1"; }
	ios() { sed -n 's/.*"commands": \([0-9]*\).*/\1/p' "$out/json.$1"; }
	run "$SHORT"
	run "$LONG"
	i1=$(total "$SHORT") i2=$(total "$LONG") n1=$(ios "$SHORT") n2=$(ios "$LONG")
	if [ -z "$n1" ] || [ -z "$n2" ] || [ "$n2" -le "$n1" ]; then
		echo "callgrind-perf-rig: no more I/Os in the long run ($n1, $n2):" >&2
		cat "$out/json.$SHORT" "$out/err.$SHORT" "$out/json.$LONG" "$out/err.$LONG" >&2
		exit 1
	fi
	echo "udrv-nvme perf -w randread -o 512 -q 32 -c 0, under callgrind in the rig"
	printf "%-36s %16s %12s\n" "" "instructions" "I/Os"
	printf "%-36s %16d %12d\n" "-t $SHORT" "$i1" "$n1"
	printf "%-36s %16d %12d\n" "-t $LONG" "$i2" "$n2"
	echo
	echo "functions, self instructions per I/O (long minus short)"
	# Lines: "1,234,567 (12.3%)  file:function [object]" (older: without the percentage).
	for t in "$SHORT" "$LONG"; do
		awk -v t="$t" '/^ *[0-9,]+ / && /:/ { v = $1; gsub(",", "", v); f = $0
			sub(/^ *[0-9,]+ +(\([^)]*\) +)?/, "", f); sub(/ \[.*$/, "", f); sub(/^.*:/, "", f)
			print t "\t" f "\t" v }' "$out/annot.$t"
	done | awk -F '\t' -v s="$SHORT" -v n="$((n2 - n1))" '
		{ if ($1 == s) a[$2] += $3; else b[$2] += $3; k[$2] = 1 }
		END { for (f in k) { d = (b[f] - a[f]) / n; if (d >= 0.5 || d <= -0.5) printf "%10.1f  %s\n", d, f } }' |
		sort -rn | head -n 25
	awk -v i1="$i1" -v i2="$i2" -v n1="$n1" -v n2="$n2" -v target="$TARGET" 'BEGIN {
		v = (i2 - i1) / (n2 - n1)
		printf "\ninstructions per I/O (whole process): %.1f (target %d)\n", v, target
		exit v <= target ? 0 : 1 }'
	rc=$?
	rm -rf "$out"
	exit $rc
fi
BUILD=${1:-build}
SHORT=${2:-1}
LONG=${3:-3}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
BUILD=$(cd "$BUILD" && pwd)
[ -x "$BUILD/apps/udrv-nvme/udrv-nvme" ] || { echo "callgrind-perf-rig: build udrv-nvme first" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "callgrind-perf-rig: valgrind not installed" >&2; exit 77; }
hook=""
[ "${PIN:-1}" = 1 ] && hook="$here/rig-pin-qemu.sh"
exec "$src/tests/rig/udrv-rig" run --build "$BUILD" --cpus 2 ${hook:+--host-hook "$hook"} \
	--nvme size=256M,lba=512,serial=UDRVCG \
	-- "$here/callgrind-perf-rig.sh" --guest "$BUILD" "$SHORT" "$LONG" "${TARGET:-236}"
