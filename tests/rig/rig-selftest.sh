#!/bin/bash
# SPDX-License-Identifier: MIT
# The rig checks itself (guest side of the 'rig-selftest' test; meson.build
# has the udrv-rig options): the host hook hot-unplugs udrv's NVMe controller
# nvme0 over QMP and the guest sees it leave; blkdebug makes the peer NVMe
# controller fail reads of 4 KiB block 256 and nothing else; the peer NIC is
# up with its address.
set -u
fail() { echo "FAIL: $*"; exit 1; }

blk=${UDRV_RIG_PEER_BLOCKDEVS%% *}
[[ -b $blk ]] || fail "no peer block device ($UDRV_RIG_PEER_BLOCKDEVS)"
dd if="$blk" of=/dev/null bs=4096 count=1 iflag=direct status=none || fail "block 0 of $blk must read"
if dd if="$blk" of=/dev/null bs=4096 skip=256 count=1 iflag=direct status=none 2>/dev/null; then
	fail "block 256 of $blk read fine: blkdebug is not in the chain"
fi
echo "blkdebug: $blk block 0 reads, block 256 fails"

iface=${UDRV_RIG_PEER_IFACES%% *}
addr=${UDRV_RIG_PEER_ADDRS%% *}
[[ $(</sys/class/net/$iface/operstate) == up ]] || fail "peer $iface is not up"
ip -4 addr show dev "$iface" | grep -q "inet $addr/" || fail "peer $iface has no $addr"
echo "peer: $iface up with $addr"

for bdf in $UDRV_RIG_NVME; do
	for ((i = 0; i < 600; i++)); do
		[[ -e /sys/bus/pci/devices/$bdf ]] || { echo "hot-unplug: $bdf is gone"; continue 2; }
		sleep 0.1
	done
	fail "$bdf still present 60 s after the host hook's device_del"
done
