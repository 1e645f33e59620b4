#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# udrv-net against dpdk-testpmd 22.11 (Debian dpdk-dev), side by side: same rig guest,
# same virtio-net port (vfio-pci, iommu_platform=on), one core each, 64-byte frames
# (60 bytes + FCS). From the host:
#   [REPS=N] [UDRV_BENCH_VERBOSE=1] bench/net/rig-vs-testpmd.sh [BUILD_DIR] [SECONDS]
# It boots the rig (tests/rig/udrv-rig) with two virtio-net ports for udrv/testpmd
# (X, the port under test, and G, a udrv pktgen feeding the forwarding runs) and a
# kernel-driven virtio-net peer, all on one QEMU hub, and re-runs itself in the guest.
#
# Placement: a host hook (bench/nvme/rig-pin-qemu.sh) pins the guest's vCPU 0
# alone on host CPU 0 and the rest of QEMU (its main loop, which runs the
# virtio-net emulation) on CPU 1; each tool's polling thread runs on vCPU 0
# (pktgen/fwd under taskset -c 0, testpmd's forwarding lcore 0 with its main
# lcore on 1). The txonly -> nobody row alternates the tools REPS times (the
# host's speed drifts by +-25% between runs) and prints each pair's ratio.
#
# Rows (see docs/net.md, "Rig"):
#   txonly -> nobody: frames to a unicast MAC no port on the hub has, so QEMU's
#     virtio-net TX path is the only limit (the peer's QEMU filter drops them).
#     A tool's own count is what QEMU took off the ring: a tx burst only accepts
#     what fits, and descriptors come back only once QEMU has sent their frames.
#   txonly -> peer: frames to the kernel peer's MAC; the peer guest kernel must
#     receive each one and QEMU's hub holds the sender back while it cannot.
#   fwd: G's pktgen sends to X's MAC at full rate; X runs udrv-net fwd (one port,
#     MACs swapped) or testpmd --forward-mode=io (one port, frames unchanged) /
#     macswap. "fwd/s" is what the forwarder sent per second of generator time.
set -u
# (udrv-rig passes UDRV_* variables into the guest.)
SECS=${UDRV_BENCH_SECS:-5}
if [[ -z ${UDRV_RIG:-} ]]; then
	here=$(cd "$(dirname "$0")" && pwd)
	build=${1:-build-net}
	export UDRV_BENCH_SECS=${2:-$SECS} UDRV_BENCH_REPS=${REPS:-${UDRV_BENCH_REPS:-2}}
	exec "$here/../../tests/rig/udrv-rig" run --build "$build" --virtio 2 \
		--peer virtio --hugepages 512 --mem 2048 --timeout 900 \
		--host-hook "$here/../nvme/rig-pin-qemu.sh" -- "$here/rig-vs-testpmd.sh"
fi

B=$UDRV_RIG_BUILD/apps/udrv-net/udrv-net
command -v dpdk-testpmd >/dev/null || { echo "dpdk-testpmd not installed (Debian: dpdk)" >&2; exit 77; }
mkdir -p /dev/hugepages /run/dpdk
mountpoint -q /dev/hugepages || mount -t hugetlbfs none /dev/hugepages

read -r X G _ <<<"$UDRV_RIG_VIRTIO"
[[ -n $G ]] || { echo "needs two virtio-net ports (--virtio 2)" >&2; exit 77; }
XMAC=52:54:00:00:99:00 # udrv-rig numbers udrv's NICs first
NOBODY=02:00:00:00:00:01
P=${UDRV_RIG_PEER_IFACES%% *}
PMAC=${UDRV_RIG_PEER_MACS%% *}
peer_rx() { cat "/sys/class/net/$P/statistics/rx_packets"; }
jnum() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
LOG=${UDRV_RIG_RUN:-/tmp}/rig-vs-testpmd.log
: >"$LOG"

# testpmd on X, one forwarding lcore (1), lcore 0 for the main thread. Without
# a matching --eth-peer txonly sends to 02:00:00:00:00:00, which no peer
# accepts (an earlier attempt read that as a stall); --no-lsc-interrupt and
# --no-rmv-interrupt: nothing to wait for, we poll; --iova-mode=va: IOVAs
# from EAL's allocator, mapped through VFIO like udrv's; a smaller mbuf pool
# than the default 155456 x 2176 bytes, which takes seconds to set up under
# TCG. The rate is the mean of testpmd's own per-second Tx-pps lines once
# forwarding runs, without the first and last (partial) seconds.
TPMD_OUT=/tmp/testpmd.out
testpmd_start() { # MODE [APP ARGS...]: returns once testpmd forwards
	local mode=$1
	shift
	rm -rf /dev/hugepages/udrvbench* /run/dpdk/udrvbench
	dpdk-testpmd -l 0,1 --main-lcore 1 -n 1 -a "$X" --iova-mode=va --file-prefix udrvbench --no-telemetry \
		-- --forward-mode="$mode" --burst=32 --nb-cores=1 --rxq=1 --txq=1 \
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
testpmd_stop() { # -> "rx_pps tx_pps"
	kill -INT "$TPMD_PID" 2>/dev/null
	for ((i = 0; i < 100; i++)); do kill -0 "$TPMD_PID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$TPMD_PID" 2>/dev/null
	wait "$TPMD_PID" 2>/dev/null
	cat "$TPMD_OUT" >>"$LOG"
	awk '/Rx-pps:/ { r[nr++] = $2 } /Tx-pps:/ { t[nt++] = $2 }
	     END { for (i = 0; i < nt; i++) if (t[i] > 0) { if (!f) f = i + 1; l = i }
		   for (i = f; i < l; i++) { sr += r[i]; st += t[i]; k++ }
		   if (k) printf "%d %d\n", sr / k, st / k; else print "0 0" }' "$TPMD_OUT"
}
testpmd_tx() { # SECONDS MODE [APP ARGS...] -> "rx_pps tx_pps"
	local secs=$1
	shift
	if testpmd_start "$@"; then sleep "$((secs + 2))"; fi
	testpmd_stop
}

row() { printf '%-18s %12s %12s %12s %12s %7s\n' "$@"; }
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { (($2 > 0)) && echo "scale=2; $1 / $2" | bc || echo "-"; }

echo "# rig: same guest, same virtio-net port $X (vfio-pci), 64-byte frames, one core, ${SECS} s"
row "" "udrv tx/s" "udrv @peer" "tpmd tx/s" "tpmd @peer" "ratio"

# txonly rows. Both tools saturate QEMU's main loop (one host thread) on the
# first row, so it is run REPS times, alternating, and averaged; each run is
# logged.
REPS=${UDRV_BENCH_REPS:-2}
for dst in nobody peer; do
	mac=$NOBODY; [[ $dst == peer ]] && mac=$PMAC
	reps=$REPS; [[ $dst == peer ]] && reps=1
	su=0 sup=0 st=0 stp=0 runs="" pairs=""
	for ((k = 0; k < reps; k++)); do
		b=$(peer_rx)
		u=$(taskset -c 0 "$B" pktgen -d "$X" -t "$SECS" --size 64 --dst-mac "$mac" --json 2>>"$LOG")
		sleep 1
		up=$((($(peer_rx) - b) / SECS)) uo=$(jnum pps <<<"$u")
		echo "udrv pktgen -> $dst: $u" >>"$LOG"
		b=$(peer_rx)
		r=$(testpmd_tx "$SECS" txonly --txpkts=60 --eth-peer=0,"$mac")
		sleep 1
		tp=$((($(peer_rx) - b) / SECS)) to=${r#* }
		su=$((su + ${uo:-0})) sup=$((sup + up)) st=$((st + to)) stp=$((stp + tp))
		runs+=" ${uo:-0}/$to" pairs+=" $(ratio "${uo:-0}" "$to")"
	done
	uo=$((su / reps)) up=$((sup / reps)) to=$((st / reps)) tp=$((stp / reps))
	if [[ $dst == nobody ]]; then
		row "txonly -> nobody" "$uo" "$up" "$to" "$tp" "$(ratio "$uo" "$to")"
		echo "  (runs, udrv/testpmd tx/s:$runs; ratio of each pair:$pairs, median $(median $pairs))"
	else
		row "txonly -> peer" "$uo" "$up" "$to" "$tp" "$(ratio "$up" "$tp")"
	fi
done

# fwd rows: G generates towards X's MAC for SECS seconds while X forwards.
gen() { taskset -c 1 "$B" pktgen -d "$G" -t "$SECS" --size 64 --dst-mac "$XMAC" --json 2>>"$LOG"; }
taskset -c 0 "$B" fwd -d "$X" -t "$((SECS + 3))" --json >/tmp/ufwd 2>>"$LOG" &
fp=$!
sleep 1.5
g1=$(gen)
wait "$fp"
echo "udrv fwd: $(cat /tmp/ufwd); gen: $g1" >>"$LOG"
uf=$(($(jnum packets </tmp/ufwd) / SECS)) ug=$(jnum pps <<<"$g1") uback=$(($(jnum received <<<"$g1") / SECS))
for mode in io macswap; do
	testpmd_start "$mode"
	g2=$(gen)
	sleep 1
	r=$(testpmd_stop)
	echo "testpmd $mode gen: $g2" >>"$LOG"
	row "gen -> fwd ($mode)" "$uf" "back $uback" "${r#* }" "back $(($(jnum received <<<"$g2") / SECS))" \
		"$(ratio "$uf" "${r#* }")"
	echo "  (generator G: udrv run ${ug:-0} pps, testpmd $mode run $(jnum pps <<<"$g2") pps)"
done
echo "# tx/s: each tool's own rate (fwd rows: frames forwarded per generator second);"
echo "# @peer: frames/s the kernel peer received; back: frames/s that returned to G;"
echo "# ratio: udrv / testpmd (txonly -> peer: of the @peer figures). Target: >= 1.2 on txonly."
[[ -n ${UDRV_BENCH_VERBOSE:-} ]] && cat "$LOG" >&2
exit 0
