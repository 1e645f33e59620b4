#!/bin/sh
# NVMe driver checks in the rig, against QEMU's emulated controller and the
# guest kernel's nvme driver as independent peers (issue 4, "Rig"):
#   1. identify reports what QEMU was given (serials, sizes, LBA sizes 512 and
#      4096, two namespaces, a 16 MiB controller memory buffer: QEMU 7.2's
#      NVMe 1.4 CMB reads CMBSZ 0 until the driver sets CMBMSC.CRE);
#   2. verify writes and reads back a range; afterwards the backing image,
#      read on the host, holds the documented pattern;
#   3. the data reads back identically through the guest kernel's nvme driver
#      after the controller is rebound from vfio-pci to nvme;
#   4. a blkdebug read error on one LBA surfaces as an error status for that
#      request while the other requests of the pass succeed;
#   5. perf with -c 2 (two cores, two queue pairs).
# Prints TAP. The rig suite runs it as rig-nvme (tests/rig/meson.build).
#
# usage: tests/rig/nvme-checks.sh [BUILD_DIR]        (exit 77: rig unavailable)
set -eu
SEED=77 LBA=1000 COUNT=4096 BAD_LBA=40960

if [ "${1:-}" = --check ]; then
	# --check FILE SEED LBA COUNT: FILE holds COUNT 512-byte blocks from LBA.
	exec python3 - "$2" "$3" "$4" "$5" <<'EOF'
import struct, sys
path, seed, lba, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
key = (seed * 0x9E3779B97F4A7C15) % 2**64
data = open(path, "rb").read()
k0 = lba * 512 // 8
if len(data) != count * 512:
    print("read %d bytes, expected %d" % (len(data), count * 512)); sys.exit(1)
for i in range(len(data) // 8):
    if struct.unpack_from("<Q", data, 8 * i)[0] != (k0 + i) ^ key:
        print("word %d (LBA %d) differs: 0x%016x, expected 0x%016x" % (k0 + i, (k0 + i) * 8 // 512,
              struct.unpack_from("<Q", data, 8 * i)[0], (k0 + i) ^ key)); sys.exit(1)
print("OK")
EOF
fi

if [ "${1:-}" = --guest ]; then
	B=$2/apps/udrv-nvme/udrv-nvme
	n=0 fails=0
	ok() { n=$((n + 1)); echo "ok $n - $1"; }
	nok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
	set -- $UDRV_RIG_NVME
	a=$1 b=$2 c=$3
	echo "1..9"
	# 1. identify
	ja=$("$B" identify -d "$a" --json || true) jb=$("$B" identify -d "$b" --json || true)
	if echo "$ja" | grep -q '"serial": "RIGCHK0"' &&
	   [ "$(echo "$ja" | grep -o '"nsid": [0-9]*' | wc -l)" -eq 2 ] &&
	   [ "$(echo "$ja" | grep -o '"lba_size": 512, "metadata_size": 0, "blocks": 131072' | wc -l)" -eq 2 ]
	then ok "identify: serial, two namespaces of 131072 x 512 B"; else nok "identify $a: $ja"; fi
	if echo "$jb" | grep -q '"serial": "RIGCHK1"' &&
	   echo "$jb" | grep -q '"lba_size": 4096, "metadata_size": 0, "blocks": 8192'
	then ok "identify: serial, 8192 x 4096 B"; else nok "identify $b: $jb"; fi
	if echo "$jb" | grep -q '"cmb_bytes": 16777216' && echo "$ja" | grep -q '"cmb_bytes": 0'
	then ok "identify: cmb_size_mb=16 reports a 16 MiB CMB, none without"
	else nok "identify CMB: $(echo "$jb" | grep -o '"cmb_bytes": [0-9]*') / $(echo "$ja" | grep -o '"cmb_bytes": [0-9]*')"; fi
	# 2. verify (the host checks the image afterwards)
	if "$B" verify -d "$a" --lba $LBA --count $COUNT --seed $SEED >/dev/null
	then ok "verify LBA $LBA+$COUNT"; else nok "verify LBA $LBA+$COUNT"; fi
	# 3. rebind to the kernel's nvme driver and read the range through it
	echo nvme >/sys/bus/pci/devices/$a/driver_override
	echo "$a" >/sys/bus/pci/drivers/vfio-pci/unbind
	echo "$a" >/sys/bus/pci/drivers_probe
	# The kernel names namespaces in probe order, not by nsid: find nsid 1
	# of this controller.
	blk=""
	for i in $(seq 50); do
		for d in /sys/bus/pci/devices/$a/nvme/*/nvme*n*; do
			case ${d##*/} in nvme*c*) continue ;; esac # hidden multipath paths
			[ -r "$d/nsid" ] && [ "$(cat "$d/nsid")" = 1 ] && blk=${d##*/}
		done
		[ -n "$blk" ] && [ -b /dev/$blk ] && break
		blk=""
		sleep 0.2
	done
	why=""
	if [ -z "$blk" ]; then
		why="no block device appeared"
	elif ! sleep 1 || ! dd if=/dev/$blk of=/tmp/kread bs=512 skip=$LBA count=$COUNT iflag=direct 2>/tmp/dd.err; then
		why="dd: $(cat /tmp/dd.err)"
	else
		why=$("$0" --check /tmp/kread $SEED $LBA $COUNT 2>&1) || true
	fi
	if [ "$why" = OK ]; then ok "kernel nvme driver reads the pattern ($blk)"
	else nok "kernel readback: $why ($blk: serial $(cat /sys/block/$blk/device/serial 2>/dev/null) nsid $(cat /sys/block/$blk/nsid 2>/dev/null))"; fi
	# 4. blkdebug: LBA $BAD_LBA of controller c fails to read
	"$B" verify -d "$c" --lba $((BAD_LBA - 1024)) --count 2048 --seed 5 --write-only >/dev/null || true
	out=$("$B" verify -d "$c" --lba $((BAD_LBA - 1024)) --count 2048 --seed 5 --read-only || true)
	if [ "$(echo "$out" | grep -c 'read failed')" -eq 1 ] &&
	   echo "$out" | grep -q '0 LBAs differ, 1 I/O errors'
	then ok "blkdebug error on one request, the others read back"; else nok "blkdebug: $out"; fi
	# 5. perf -c 2
	jp=$("$B" perf -d "$b" -w randread -o 4k -q 16 -t 2 -c 2 --json 2>/dev/null || true)
	if [ "$(echo "$jp" | grep -o '"core": [0-9]' | wc -l)" -eq 2 ] &&
	   echo "$jp" | grep -q '"errors": 0, "failed_cores": 0}'
	then ok "perf -c 2"; else nok "perf -c 2: $jp"; fi
	exit $fails
fi

BUILD=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
work=$BUILD/rig-nvme-checks
mkdir -p "$work"
rm -f "$work/a.img"
truncate -s 64M "$work/a.img"
printf '[inject-error]\nevent = "read_aio"\nerrno = "5"\nsector = "%d"\n' $BAD_LBA >"$work/bd.ini"
rc=0
"$src/tests/rig/udrv-rig" run --build "$BUILD" \
	--nvme "size=64M,lba=512,ns=2,serial=RIGCHK0,image=$work/a.img" \
	--nvme size=32M,lba=4096,serial=RIGCHK1,cmb=16 \
	--nvme "size=64M,lba=512,serial=RIGCHK2,blkdebug=$work/bd.ini" \
	-- "$here/nvme-checks.sh" --guest "$BUILD" || rc=$?
[ $rc -eq 77 ] && exit 77
# 8-9. the backing image, read on the host, holds the pattern
dd if="$work/a.img" of="$work/range" bs=512 skip=$LBA count=$COUNT 2>/dev/null
if [ "$("$0" --check "$work/range" $SEED $LBA $COUNT)" = OK ]
then echo "ok 8 - host reads the pattern from the backing image"
else echo "not ok 8 - host image check"; rc=1; fi
if [ "$(od -v -An -tx1 -j $((LBA * 512 - 512)) -N 512 "$work/a.img" | tr -d ' 0\n')" = "" ]
then echo "ok 9 - the block before the range is untouched"
else echo "not ok 9 - data written before LBA $LBA"; rc=1; fi
exit $rc
