#!/bin/sh
# Driver instructions per I/O (submit + complete, QD32, 4 KiB reads) on the
# NVMe controller model in null mode, counted by callgrind, which is
# deterministic and needs no hardware counters.
#
# Collected: udrv_nvme_read, udrv_nvme_qpair_ring_doorbell and udrv_nvme_qpair_poll,
# inclusive of what they call, minus the application's callback (bench_cb).
# nvme_ipio only polls once the model has executed a round, so no empty poll
# is counted. The model runs on its own thread and is not counted.
#
# usage: bench/nvme/callgrind-ipio.sh [BUILD_DIR] [ROUNDS]   (default: build 1000)
set -eu
BUILD=${1:-build}
ROUNDS=${2:-1000}
QD=32
TARGET=${TARGET:-100} # issue 11; exit 1 above it
BIN=$BUILD/bench/nvme/nvme_ipio
if [ ! -x "$BIN" ]; then
	echo "callgrind-ipio: $BIN not found: build first (ninja -C $BUILD)" >&2
	exit 1
fi
if ! command -v valgrind >/dev/null; then
	echo "callgrind-ipio: valgrind not installed (apt-get install valgrind); skipped" >&2
	exit 77
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
UDRV_MEM=anon UDRV_LOG=error valgrind --tool=callgrind --callgrind-out-file="$out/cg.out" \
	--collect-atstart=no \
	--toggle-collect=udrv_nvme_read --toggle-collect=udrv_nvme_qpair_ring_doorbell \
	--toggle-collect=udrv_nvme_qpair_poll --toggle-collect=bench_cb \
	"$BIN" "$ROUNDS" "$QD" >"$out/stdout" 2>"$out/stderr" || {
	echo "callgrind-ipio: nvme_ipio failed:" >&2
	cat "$out/stderr" >&2
	exit 1
}
ios=$(awk '/^ios/ {print $2}' "$out/stdout")
callgrind_annotate --inclusive=yes "$out/cg.out" >"$out/annot" 2>/dev/null
total=$(awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}' "$out/annot")
fn() {
	grep -E "[:*]$1( |\$)" "$out/annot" | head -n 1 | awk '{ gsub(",", "", $1); print $1 }'
}
rd=$(fn udrv_nvme_read); fl=$(fn udrv_nvme_qpair_ring_doorbell); po=$(fn udrv_nvme_qpair_poll)
: "${rd:=0}" "${fl:=0}" "${po:=0}"
awk -v ios="$ios" -v total="$total" -v rd="$rd" -v fl="$fl" -v po="$po" -v target="$TARGET" \
	-v qd="$QD" 'BEGIN {
	printf "NVMe driver cost on the controller model (null mode, 4 KiB reads, QD%d, %d I/Os)\n", qd, ios
	printf "%-34s %14s %12s\n", "function", "instructions", "per I/O"
	printf "%-34s %14d %12.1f\n", "udrv_nvme_read (submit)", rd, rd / ios
	printf "%-34s %14d %12.1f\n", "udrv_nvme_qpair_ring_doorbell (doorbell)", fl, fl / ios
	printf "%-34s %14d %12.1f\n", "udrv_nvme_qpair_poll (complete)", po, po / ios
	printf "%-34s %14d %12.1f\n", "total (submit + complete)", total, total / ios
	printf "%-34s %14s %12d\n", "target", "", target
	exit (total / ios <= target) ? 0 : 1
}'
