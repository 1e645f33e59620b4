#!/bin/sh
# The fio engine (frontends/fio) and the NVMe example in the rig, on QEMU's emulated NVMe
# controller through real VFIO (issue 12, "Rig"):
#   1. randrw with verify (crc32c), two jobs, each its own queue pair, the
#      filename with escaped colons;
#   2. a sequential write of a known pattern (filename with dots), flushed;
#   3. trim, then the trimmed range reads back as zeroes (the rig's images
#      take discards: QEMU punches a hole);
#   4. a controller left on the kernel's nvme driver gets the "bound to the
#      kernel driver nvme, not vfio-pci" text through fio;
#   5. examples/nvme_block_daemon (two threads, async I/O, flush, iovecs,
#      read-back check) on the controller (it writes the first 2 MiB + 16 KiB);
#   6. (host) the backing image holds the pattern of check 2 where fio wrote it;
#   7. (host) and zeroes where check 3 trimmed (0xff before the trim).
# Prints TAP. The rig suite runs it as rig-fio (tests/rig/meson.build).
#
# usage: tests/rig/fio-checks.sh [BUILD_DIR]        (exit 77: rig or engine unavailable)
set -eu
PAT=0x5aa5c33c OFF_MB=8 LEN_MB=2 TRIM_MB=16

if [ "${1:-}" = --guest ]; then
	BUILD=$2
	E=$BUILD/frontends/fio/fio-udrv.so
	n=0 fails=0
	ok() { n=$((n + 1)); echo "ok $n - $1"; }
	nok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
	set -- $UDRV_RIG_NVME
	a=$1
	esc=$(echo "$a" | sed 's/:/\\:/g') dots=$(echo "$a" | tr : .)
	run() { fio --thread --ioengine=external:"$E" "$@" >/tmp/fio.out 2>&1; }
	jobs_ok() { [ "$(grep -c '(groupid=' /tmp/fio.out)" -eq "$(grep -c '(groupid=.*err= 0:' /tmp/fio.out)" ]; }
	echo "1..7"
	if run --filename="$esc" --rw=randrw --bs=4k --iodepth=16 --size=4M --verify=crc32c \
		--verify_fatal=1 --name=a --offset=0 --name=b --offset=4M --bs=16k && jobs_ok
	then ok "randrw + verify, two jobs"; else nok "randrw + verify: $(tail -20 /tmp/fio.out)"; fi
	if run --name=pat --filename="$dots" --rw=write --bs=64k --iodepth=8 --offset=${OFF_MB}M \
		--size=${LEN_MB}M --buffer_pattern=$PAT --end_fsync=1 && jobs_ok
	then ok "pattern write at ${OFF_MB} MiB, flushed"; else nok "pattern write: $(tail -20 /tmp/fio.out)"; fi
	if run --filename="$dots" --bs=64k --iodepth=8 --offset=${TRIM_MB}M --size=1M \
		--name=fill --rw=write --buffer_pattern=0xff \
		--name=trim --stonewall --rw=trim \
		--name=zero --stonewall --rw=read --verify=pattern --verify_pattern=0 --verify_only=1 &&
		jobs_ok
	then ok "trim reads back zeroes"; else nok "trim: $(tail -20 /tmp/fio.out)"; fi
	set -- $UDRV_RIG_PEER_NVME
	pesc=$(echo "$1" | sed 's/:/\\:/g')
	if ! run --name=k --filename="$pesc" --rw=read --size=1M &&
		grep -q "bound to the kernel driver nvme, not vfio-pci" /tmp/fio.out
	then ok "a controller on the kernel driver: the error names vfio-pci"
	else nok "kernel-bound controller: $(cat /tmp/fio.out)"; fi
	if out=$("$BUILD/examples/nvme_block_daemon" "$a" 2>&1) &&
		[ "$(echo "$out" | grep -c ' 0 errors, 0 mismatches')" -eq 2 ]
	then ok "examples/nvme_block_daemon on a VFIO controller"
	else nok "nvme_block_daemon: $out"; fi
	exit $fails
fi

BUILD=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
[ -f "$BUILD/frontends/fio/fio-udrv.so" ] || { echo "1..0 # SKIP fio engine not built"; exit 77; }
work=$BUILD/rig-fio-checks
mkdir -p "$work"
rm -f "$work/f.img"
truncate -s 64M "$work/f.img"
rc=0
"$src/tests/rig/udrv-rig" run --build "$BUILD" \
	--nvme "size=64M,lba=512,serial=RIGFIO0,image=$work/f.img" --peer nvme:size=16M \
	-- "$here/fio-checks.sh" --guest "$BUILD" || rc=$?
[ $rc -eq 77 ] && exit 77
# 5. the image holds the pattern.
want=${PAT#0x} # fio writes the pattern's bytes in the order given
got=$(od -v -An -tx1 -j $((OFF_MB * 1048576)) -N $((LEN_MB * 1048576)) "$work/f.img" |
	tr -d ' \n' | fold -w 8 | sort | uniq -c | awk '{ print $2 ":" $1 }')
if [ "$got" = "$want:$((LEN_MB * 1048576 / 4))" ]
then echo "ok 6 - host finds fio's pattern in the backing image"
else echo "not ok 6 - image at ${OFF_MB} MiB: $(echo "$got" | head -3)"; rc=1; fi
if [ "$(od -v -An -tx1 -j $((TRIM_MB * 1048576)) -N 1048576 "$work/f.img" | tr -d ' 0\n')" = "" ]
then echo "ok 7 - the trimmed MiB is zeroes in the backing image"
else echo "not ok 7 - the trimmed range still holds data in the image"; rc=1; fi
exit $rc
