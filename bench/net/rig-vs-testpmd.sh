#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# udrv-net pktgen against dpdk-testpmd --forward-mode=txonly, same guest, same port,
# one core, 64-byte frames (60 bytes + FCS), side by side. From the host:
#   bench/net/rig-vs-testpmd.sh [BUILD_DIR] [SECONDS]
# It boots the rig (tests/rig/udrv-rig) with one virtio-net port, one e1000e port
# and a kernel peer, and re-runs itself inside the guest.
set -u
SECS=${SECS:-10}
if [[ -z ${UDRV_RIG:-} ]]; then
	here=$(cd "$(dirname "$0")" && pwd)
	build=${1:-build-net}
	SECS=${2:-$SECS}
	export SECS
	exec "$here/../../tests/rig/udrv-rig" run --build "$build" --virtio 1 --e1000e 1 \
		--peer virtio --hugepages 512 --mem 2048 --timeout 900 -- "$here/rig-vs-testpmd.sh"
fi

B=$UDRV_RIG_BUILD/apps/udrv-net/udrv-net
command -v dpdk-testpmd >/dev/null || { echo "dpdk-testpmd not installed (Debian: dpdk)" >&2; exit 77; }
mkdir -p /dev/hugepages /run/dpdk
mountpoint -q /dev/hugepages || mount -t hugetlbfs none /dev/hugepages

P=${UDRV_RIG_PEER_IFACES%% *}
peer_rx() { cat "/sys/class/net/$P/statistics/rx_packets"; }

# Each tool's own count (frames its tx burst accepted) and what the kernel peer
# on the same hub received meanwhile: the peer's count is the one that matters.
udrv_run() { # DEV -> "own_pps peer_pps"
	local b a own
	b=$(peer_rx)
	own=$("$B" pktgen -d "$1" -t "$SECS" --size 64 --json 2>/dev/null |
		sed -n 's/.*"pps":\([0-9]*\).*/\1/p')
	sleep 1
	a=$(peer_rx)
	echo "${own:-0} $(((a - b) / SECS))"
}

testpmd_run() { # DEV -> "own_pps peer_pps"
	local b a out tx
	b=$(peer_rx)
	# txonly on one forwarding core (lcore 1), lcore 0 for the main thread;
	# --txpkts=60: 64-byte frames with the FCS the NIC appends.
	out=$(timeout -s INT "$((SECS + 5))" dpdk-testpmd -l 0,1 -n 1 -a "$1" --file-prefix udrvbench \
		-- --forward-mode=txonly --txpkts=60 --burst=32 --nb-cores=1 --auto-start 2>&1)
	sleep 1
	a=$(peer_rx)
	tx=$(grep -o 'TX-packets: *[0-9]*' <<<"$out" | awk '{print $2}' | sort -n | tail -1)
	[[ -n $tx ]] || echo "$out" | tail -5 >&2
	echo "$(((${tx:-0}) / SECS)) $(((a - b) / SECS))"
}

printf '%-8s %-13s %12s %12s %12s %12s %7s\n' port device 'udrv tx/s' 'udrv @peer' \
	'tpmd tx/s' 'tpmd @peer' ratio
for dev in ${UDRV_RIG_VIRTIO:-} ${UDRV_RIG_E1000E:-}; do
	kind=virtio; [[ " ${UDRV_RIG_E1000E:-} " == *" $dev "* ]] && kind=e1000e
	r=$(udrv_run "$dev"); uo=${r% *} up=${r#* }
	r=$(testpmd_run "$dev"); to=${r% *} tp=${r#* }
	ratio=$( ((tp > 0)) && echo "scale=2; $up / $tp" | bc || echo "-")
	printf '%-8s %-13s %12s %12s %12s %12s %7s\n' "$kind" "$dev" "$uo" "$up" "$to" "$tp" "$ratio"
done
echo "(frames per second; @peer: received by the kernel peer on the same hub; ratio of the"
echo " @peer figures; target udrv >= 1.2 x testpmd txonly; TCG guest, ${SECS} s each)"
