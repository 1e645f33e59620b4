#!/bin/bash
# udrv-blk and hot-unplug (issue 10, faults), inside the rig guest: while an
# ext4 filesystem on /dev/ublkb0 is mounted and written, the host removes the
# NVMe controller (QMP device_del, hook-unplug.sh --max 2 nvme0:unplug-now).
# The writes must fail with EIO, /dev/ublkb0 must go, the daemon must exit
# saying why, the guest kernel must not hang (umount -l completes) and QEMU
# must report DEVICE_DELETED within 2 s of device_del (the host hook fails
# the run otherwise). Prints TAP. Run by the rig-blk-unplug test:
#   udrv-rig run --nvmes 1 --host-hook 'tests/rig/hook-unplug.sh --max 2 nvme0:unplug-now' \
#     -- tests/rig/blk-unplug.sh BUILD_DIR
set -u
B=$1/apps/udrv-blk/udrv-blk
run=$UDRV_RIG_RUN
A=${UDRV_RIG_NVME%% *}
n=0 fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else nok "$1${3:+: $3}"; fi; }
echo "1..6"
log=$run/serve.log
"$B" serve -d "$A" >"$log" 2>&1 &
pd=$!
for _ in $(seq 100); do [[ -b /dev/ublkb0 ]] && break; sleep 0.1; done
mnt=$(mktemp -d)
mkfs.ext4 -q -F /dev/ublkb0 && mount /dev/ublkb0 "$mnt" || { nok "mkfs and mount"; exit 1; }
# A writer that keeps writing files, each synced, until an error stops it.
(
	i=0
	while dd if=/dev/urandom of="$mnt/f$i" bs=64k count=16 conv=fsync status=none; do
		i=$((i + 1))
	done
	echo "writer stopped after $i files"
) >"$run/writer.log" 2>&1 &
pw=$!
sleep 2
touch "$run/unplug-now"
# When /dev/ublkb0 goes, on the kernel's clock (/proc/uptime, as dmesg's
# timestamps): timed from the removal request the kernel relays to udrv
# (vfio-pci's "Relaying device request"), not from the touch above, which
# reaches QEMU's monitor seconds later on a loaded host.
( for _ in $(seq 600); do [[ -b /dev/ublkb0 ]] || break; sleep 0.05; done
  read -r up _ </proc/uptime; echo "$up" >"$run/ublkb0-gone" ) &
pg=$!
# The writer must stop with an I/O error.
for _ in $(seq 300); do kill -0 $pw 2>/dev/null || break; sleep 0.1; done
kill -0 $pw 2>/dev/null && { kill $pw; echo "writer still running after 30 s" >>"$run/writer.log"; }
check "writes to the mounted filesystem fail with an I/O error" \
	'grep -qi "input/output error\|read-only file system" "$run/writer.log"' "$(cat "$run/writer.log")"
wait $pg
t1=$(cat "$run/ublkb0-gone")
treq=$(dmesg | sed -n 's/^\[ *\([0-9.]*\)\].*vfio-pci.*Relaying device request.*/\1/p' | head -n1)
gone=$(awk -v a="${treq:-0}" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
check "/dev/ublkb0 is removed $gone s after the kernel's removal request (at most 2 s)" \
	'[[ -n $treq && ! -b /dev/ublkb0 ]] && awk -v s="$gone" "BEGIN { exit !(s <= 2) }"'
for _ in $(seq 100); do kill -0 $pd 2>/dev/null || break; sleep 0.1; done
if kill -0 $pd 2>/dev/null; then
	echo "udrv-blk still running 10 s after the removal" >>"$log"
	kill -9 $pd
fi
wait $pd
rc=$?
check "the daemon exits 1 saying the controller is being removed" \
	'[[ $rc == 1 ]] && grep -q "the controller is being removed" "$log"' "rc $rc: $(cat "$log")"
timeout 20 umount -l "$mnt"
rc=$?
check "umount -l completes" '[[ $rc == 0 ]]' "rc $rc"
for _ in $(seq 100); do [[ -e $run/deleted-nvme0 ]] && break; sleep 0.1; done
secs=$(cat "$run/deleted-nvme0" 2>/dev/null)
check "QEMU deleted the controller ${secs:-?} s after device_del (at most 2 s)" \
	'[[ -n $secs ]] && awk -v s="$secs" "BEGIN { exit !(s <= 2) }"'
check "the PCI device is gone from the guest" '[[ ! -e /sys/bus/pci/devices/$A ]]'
exit $fails
