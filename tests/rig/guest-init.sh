#!/bin/sh
# SPDX-License-Identifier: MIT
# /init of the rig's initramfs (busybox sh). Loads the modules, mounts the
# host's / read-only (9p tag "host") and the run directory read-write (9p tag
# "run") at the same path as on the host, reserves hugepages, then chroots
# into the host tree and runs tests/rig/guest-run.sh, which binds devices and
# runs the COMMAND. COMMAND's stdout goes to ttyS1, its stderr to ttyS2 (the
# host's stdout and stderr); the kernel console is ttyS0 (RUN/console.log).
# Its exit status is written to RUN/status, then the guest powers off.
/bin/busybox mkdir -p /sbin /usr/bin /usr/sbin /run /out
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
times="init=$(cut -d' ' -f1 /proc/uptime)"
tp() { times="$times $1=$(cut -d' ' -f1 /proc/uptime)"; }

fail() {
	echo "rig-init: $*" >/dev/ttyS0
	echo "rig-init: $*" >/dev/ttyS2
	[ -d /out ] && echo "rig-init: $*" >>/out/init-error
	poweroff -f
}

mount9p() { mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,"$3" "$1" "$2"; }

# udrv's devices go straight to vfio-pci when it loads: the kernel's nvme and
# e1000e drivers, loaded after it, then never probe them (probing and
# unbinding an NVMe controller costs seconds under TCG). guest-run.sh still
# runs udrv-setup bind on each of them, which finds them bound.
prebind() {
	mount9p run /out rw || fail "cannot mount the run share"
	while read -r kind role path id; do
		[ "$role" = peer ] && continue
		for c in /sys/bus/pci/devices/$path; do
			[ -e "$c/driver_override" ] && echo vfio-pci >"$c/driver_override"
		done
	done </out/manifest
}

for m in $(cat /modules/order); do
	insmod /modules/$m.ko || fail "insmod $m failed"
	tp $m
	[ $m = 9p ] && prebind
done
# Only the peers have interfaces (udrv's ports are on vfio-pci): start their
# link negotiation now, it overlaps with the rest of the setup.
for n in /sys/class/net/eth*; do [ -e "$n" ] && ip link set "${n##*/}" up; done
. /out/guest.conf # RIG_RUN, RIG_SRC, RIG_BUILD, RIG_CWD, RIG_HUGEPAGES
mount9p host /host ro,cache=loose || fail "cannot mount the host's / share"
tp host9p

h=/host
mount -t devtmpfs devtmpfs $h/dev
mkdir -p $h/dev/pts $h/dev/shm $h/dev/hugepages
mount -t devpts devpts $h/dev/pts
mount -t tmpfs tmpfs $h/dev/shm
mount -t proc proc $h/proc
mount -t sysfs sysfs $h/sys
# Fresh tmpfs on /run, /tmp and /var/tmp; the caller's source, build and
# working directories, when they live under one of them (a CI clone in /tmp),
# are bound back in from the host's tree.
for d in /run /tmp /var/tmp; do
	mkdir -p /orig$d
	mount -o bind $h$d /orig$d || fail "cannot keep the host's $d"
	mount -t tmpfs -o mode=1777 tmpfs $h$d || fail "cannot mount tmpfs on $d"
	for p in "$RIG_SRC" "$RIG_BUILD" "$RIG_CWD"; do
		case $p in
		$d/*) mkdir -p "$h$p" && mount -o bind "/orig$p" "$h$p" ||
			fail "cannot bind $p into the guest" ;;
		esac
	done
done
mkdir -p "$h$RIG_RUN" 2>/dev/null
mount -o bind /out "$h$RIG_RUN" || fail "cannot mount the run share at $RIG_RUN"
tp mounts

echo "$RIG_HUGEPAGES" >/proc/sys/vm/nr_hugepages
mount -t hugetlbfs -o mode=1777 nodev $h/dev/hugepages
tp huge

for n in 1 2; do stty -F /dev/ttyS$n raw -echo 2>/dev/null; done
tp mounted
echo "$times" >/out/guest-times
chroot $h /bin/bash "$RIG_SRC/tests/rig/guest-run.sh" "$RIG_RUN" </dev/null >/dev/ttyS1 2>/dev/ttyS2
echo $? >/out/status
sync
umount "$h$RIG_RUN" 2>/dev/null
umount /out 2>/dev/null
poweroff -f
