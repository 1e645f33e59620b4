#!/bin/sh
# Instructions per packet of udrv_net_tx_burst / udrv_net_rx_burst (bursts of 32)
# on the virtio-net model, counted by callgrind (inclusive: pool operations,
# tx reclaim and rx refill included). Usage: bench/net/ipp.sh [BUILD_DIR] [BURSTS]
set -eu
BUILD=${1:-build-net}
BURSTS=${2:-2000}
BIN=$BUILD/bench/net/net_burst
TARGET=60
if [ ! -x "$BIN" ]; then
	echo "ipp.sh: $BIN not found: build first (ninja -C $BUILD)" >&2
	exit 1
fi
command -v valgrind >/dev/null || { echo "ipp.sh: valgrind is not installed" >&2; exit 77; }
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
UDRV_MEM=${UDRV_MEM:-anon} UDRV_LOG=error valgrind --tool=callgrind --fair-sched=yes \
	--callgrind-out-file="$OUT/cg.out" \
	--toggle-collect=udrv_net_tx_burst --toggle-collect=udrv_net_rx_burst \
	"$BIN" "$BURSTS" >"$OUT/run.txt" 2>"$OUT/valgrind.txt" || {
	cat "$OUT/run.txt" "$OUT/valgrind.txt" >&2; exit 1; }
callgrind_annotate --inclusive=yes "$OUT/cg.out" >"$OUT/annotate.txt" 2>/dev/null
[ -n "${IPP_KEEP:-}" ] && cp "$OUT/cg.out" "$IPP_KEEP"
line=$(grep '^net_burst:' "$OUT/run.txt")
txp=$(echo "$line" | awk '{print $3}'); txc=$(echo "$line" | awk '{print $5}')
rxp=$(echo "$line" | awk '{print $7}'); rxc=$(echo "$line" | awk '{print $9}')
ir() { grep -E "[ :]$1 " "$OUT/annotate.txt" | head -1 | awk '{gsub(",","",$1); print $1}'; }
txir=$(ir udrv_net_tx_burst); rxir=$(ir udrv_net_rx_burst)
# The runtime's pool calls inside them (free in tx reclaim, alloc in rx refill).
putir=$(ir udrv_pool_put_bulk); putir=${putir:-0}
# tx reclaim's one-pool fast path puts through the internal all-or-nothing call.
putall=$(ir udrvi_pool_put_bulk_all); putir=$((putir + ${putall:-0}))
getir=$(ir udrv_pool_get_bulk); getir=${getir:-0}
printf '%-10s %8s %8s %12s %10s %14s %8s\n' direction calls packets instructions 'instr/pkt' \
	'of which pool' target
printf '%-10s %8s %8s %12s %10.1f %14.1f %8s\n' tx "$txc" "$txp" "$txir" \
	"$(echo "$txir / $txp" | bc -l)" "$(echo "$putir / $txp" | bc -l)" "<=$TARGET"
printf '%-10s %8s %8s %12s %10.1f %14.1f %8s\n' rx "$rxc" "$rxp" "$rxir" \
	"$(echo "$rxir / $rxp" | bc -l)" "$(echo "$getir / $rxp" | bc -l)" "<=$TARGET"
