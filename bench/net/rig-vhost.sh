#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# udrv-net against dpdk-testpmd 22.11 (Debian dpdk-dev) in the rig, on a
# virtio-net port backed by the host's vhost-user backend (udrv-rig
# --virtio-vhost 1: a second testpmd on the host CPU vCPU 0 does not use,
# polling the rings), so the device is not the limit QEMU's own virtio-net is
# (docs/net.md). One boot, both tools on the same port, one polling core each
# (vCPU 0, pinned alone on host CPU 0), 64-byte frames. From the host:
#   [REPS=N] bench/net/rig-vhost.sh [BUILD_DIR] [SECONDS]
# It takes every rig slot (UDRV_RIG_EXCLUSIVE=1) and re-runs itself in the guest.
#
# Rows, each REPS alternating pairs (udrv, then testpmd), medians and the
# median of the per-pair ratios:
#   tx:  udrv-net pktgen    vs testpmd txonly     (host backend: rxonly)
#   rx:  udrv-net rx        vs testpmd rxonly     (host backend: txonly, as fast as it can)
#   fwd: udrv-net fwd       vs testpmd io, macswap (host backend: io, a loop it seeds
#        with 4 bursts: the guest forwarder is the slow side of the loop)
# Every rate is read from the host backend's port counters (RX-packets for tx
# and fwd, TX-packets -- frames the guest's ring accepted -- for rx) over a
# window of SECONDS while the tool runs, so both tools are measured the same
# way, by a third party, without their start-up.
#
# UDRV_BENCH_IPP=1 adds instructions per packet under callgrind, in the same
# boot: each tool twice (IPP_SHORT and IPP_LONG seconds), the whole process's
# instructions (callgrind totals) differenced and divided by the difference in
# packets, so start-up and tear-down cancel out.
set -u
SECS=${UDRV_BENCH_SECS:-5}
if [[ -z ${UDRV_RIG:-} ]]; then
	here=$(cd "$(dirname "$0")" && pwd)
	build=${1:-build}
	export UDRV_BENCH_SECS=${2:-$SECS} UDRV_BENCH_REPS=${REPS:-${UDRV_BENCH_REPS:-3}}
	export UDRV_RIG_EXCLUSIVE=1 UDRV_BENCH_IPP=${UDRV_BENCH_IPP:-0}
	exec "$here/../../tests/rig/udrv-rig" run --build "$build" --virtio-vhost 1 \
		--vhost-mode rxonly --hugepages 512 --mem 2048 --timeout 1800 -- "$here/rig-vhost.sh"
fi

here=$(cd "$(dirname "$0")" && pwd)
B=$UDRV_RIG_BUILD/apps/udrv-net/udrv-net
CTL=$here/../../tests/rig/vhost-ctl
REPS=${UDRV_BENCH_REPS:-3}
X=${UDRV_RIG_VHOST%% *}
HOSTMAC=56:48:4F:53:54:00 # the net_vhost port's address ("VHOST\0")
LOG=$UDRV_RIG_RUN/rig-vhost.log
: >"$LOG"
command -v dpdk-testpmd >/dev/null || { echo "dpdk-testpmd not installed (Debian: dpdk-dev)" >&2; exit 77; }
[[ -n $X ]] || { echo "needs a vhost-user port (udrv-rig --virtio-vhost 1)" >&2; exit 77; }
mkdir -p /dev/hugepages /run/dpdk
mountpoint -q /dev/hugepages || mount -t hugetlbfs none /dev/hugepages

now() { local a; read -r a _ </proc/uptime; echo "$a"; }
# Host counter KEY (--rx-packets / --tx-packets) over a SECS window: pps.
window() {
	local key=$1 c0 c1 t0 t1
	"$CTL" 'clear port stats all' >/dev/null
	t0=$(now)
	sleep "$SECS"
	c1=$("$CTL" "$key" 0)
	t1=$(now)
	# The counter was read somewhere inside the reply's round trip, which
	# the clear's reply also had: use the span between the two replies.
	echo "${c1:-0} $t0 $t1" | awk '{ printf "%d\n", $1 / ($3 - $2) }'
}
host_mode() { # MODE [start]: the backend's forwarding mode
	"$CTL" 'stop' "set fwd $1" 'clear port stats all' ${2:+"$2"} >>"$LOG"
}

TPMD_OUT=/tmp/testpmd.out
tpmd_start() { # MODE [ARGS...]: testpmd on X, forwarding lcore 0 (vCPU 0), main lcore 1
	local mode=$1 i
	shift
	rm -rf /dev/hugepages/udrvbench* /run/dpdk/udrvbench
	dpdk-testpmd -l 0,1 --main-lcore 1 -n 1 -a "$X" --iova-mode=va --file-prefix udrvbench \
		--no-telemetry -- --forward-mode="$mode" --burst=32 --nb-cores=1 --rxq=1 --txq=1 \
		--total-num-mbufs=16384 --no-lsc-interrupt --no-rmv-interrupt --stats-period 1 \
		--auto-start "$@" >"$TPMD_OUT" 2>&1 </dev/null &
	TPMD_PID=$!
	echo "=== testpmd $mode $*" >>"$LOG"
	for ((i = 0; i < 600; i++)); do
		grep -q 'Port statistics' "$TPMD_OUT" 2>/dev/null && return 0
		kill -0 "$TPMD_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
tpmd_stop() {
	kill -INT "$TPMD_PID" 2>/dev/null
	for ((i = 0; i < 100; i++)); do kill -0 "$TPMD_PID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$TPMD_PID" 2>/dev/null
	wait "$TPMD_PID" 2>/dev/null
	grep -E 'TX-packets|RX-packets|Error|error' "$TPMD_OUT" | tail -4 >>"$LOG"
}
udrv_bg() { # MODE ARGS...: a udrv-net run on vCPU 0 until udrv_wait stops it
	local i
	taskset -c 0 "$B" "$@" --json >/tmp/udrv.json 2>/tmp/udrv.err &
	UDRV_PID=$!
	# Running once its first live line (a second into its loop) is out.
	for ((i = 0; i < 100; i++)); do [[ -s /tmp/udrv.err ]] && break; sleep 0.1; done
}
# Stopped only after the window: a vhost-ctl round trip can take seconds on a
# loaded host, so a fixed duration could end before the window does.
udrv_wait() { kill -INT "$UDRV_PID"; wait "$UDRV_PID"; cat /tmp/udrv.err /tmp/udrv.json >>"$LOG"; }

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
row() { printf '%-24s %12s %12s %7s   %s\n' "$@"; }

# One pair: the udrv figure, then the testpmd figure (pps on the host's counter).
pair_tx() {
	udrv_bg pktgen -d "$X" --size 64 --dst-mac "$HOSTMAC"
	u=$(window --rx-packets); udrv_wait
	if tpmd_start txonly --txpkts=60 --eth-peer=0,"$HOSTMAC"; then t=$(window --rx-packets); else t=0; fi
	tpmd_stop
}
pair_rx() {
	udrv_bg rx -d "$X"
	u=$(window --tx-packets); udrv_wait
	if tpmd_start rxonly; then t=$(window --tx-packets); else t=0; fi
	tpmd_stop
}
# The loop: the backend stops (dropping its loop), the forwarder starts, the
# backend sends 4 bursts and reflects whatever comes back.
seed_loop() { "$CTL" 'stop' 'clear port stats all' 'start tx_first 4' >>"$LOG"; }
pair_fwd() { # testpmd's MODE
	udrv_bg fwd -d "$X"
	seed_loop
	u=$(window --rx-packets); udrv_wait
	if tpmd_start "$1"; then seed_loop; t=$(window --rx-packets); else t=0; fi
	tpmd_stop
}

measure() { # LABEL PAIRFN [ARG]
	local label=$1 us=() ts=() rs=() k
	shift
	for ((k = 0; k < REPS; k++)); do
		"$@"
		us+=("$u") ts+=("$t") rs+=("$(ratio "$u" "$t")")
		echo "$label pair $k: udrv $u testpmd $t" >>"$LOG"
	done
	row "$label" "$(median "${us[@]}")" "$(median "${ts[@]}")" "$(median "${rs[@]}")" \
		"udrv ${us[*]} / testpmd ${ts[*]}"
}

echo "# rig, vhost-user backend (host testpmd net_vhost), port $X, 64-byte frames, one core each,"
echo "# $REPS alternating pairs of ${SECS} s windows; pps from the backend's counters"
row "" "udrv pps" "testpmd pps" "ratio" "(pairs; ratio = median of per-pair ratios)"
host_mode rxonly start
measure "tx (pktgen/txonly)" pair_tx
host_mode txonly start
measure "rx (rx/rxonly)" pair_rx
host_mode io
measure "fwd (fwd/io)" pair_fwd io
measure "fwd (fwd/macswap)" pair_fwd macswap
"$CTL" 'stop' >>"$LOG"

if [[ ${UDRV_BENCH_IPP:-0} == 1 ]]; then
	. "$here/rig-vhost-ipp.sh"
fi
[[ -n ${UDRV_BENCH_VERBOSE:-} ]] && cat "$LOG" >&2
exit 0
