#!/bin/bash
# udrv-blk in the rig (issue 10): NVMe namespaces served through ublk as
# /dev/ublkbN, checked with the guest kernel's own tools (mkfs.ext4, fsck,
# fio's verify, blkdiscard, dd) and, after the guest stopped, the NVMe
# backing image read on the host. One boot:
#   controller A: two 128 MiB namespaces of 512-byte LBAs (image of ns 1 kept
#                 for the host check), served by one daemon with 2 queues;
#   controller B: one 64 MiB namespace of 4096-byte LBAs, for kill -9 and
#                 `udrv-blk recover` in the middle of a fio verify run;
#   a virtio-net port on vfio-pci: "not an NVMe controller".
# Prints TAP. The rig suite runs it as rig-blk (tests/rig/meson.build).
#
# usage: tests/rig/blk-checks.sh [BUILD_DIR]        (exit 77: rig unavailable)
set -u
OFF=$((96 << 20)) LEN=$((1 << 20)) # dd pattern: 1 MiB at 96 MiB of ublkb0

if [[ ${1:-} == --guest ]]; then
	B=$2/apps/udrv-blk/udrv-blk
	run=$UDRV_RIG_RUN
	n=0 fails=0
	ok() { n=$((n + 1)); echo "ok $n - $1"; }
	nok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
	check() { if eval "$2"; then ok "$1"; else nok "$1${3:+: $3}"; fi; }
	wait_dev() { for _ in $(seq 100); do [[ -b $1 ]] && return 0; sleep 0.1; done; return 1; }
	status() { # the daemon's status line for $2 (SIGUSR1)
		local before
		before=$(wc -l <"$1")
		kill -USR1 "$3"
		for _ in $(seq 50); do
			(($(wc -l <"$1") > before)) && break
			sleep 0.1
		done
		sleep 0.2
		grep "^$2:" "$1" | tail -n2 | tr '\n' ' '
	}
	field() { sed -n "s/.* $1 \([0-9]*\).*/\1/p" <<<"$2"; }
	set -- $UDRV_RIG_NVME
	A=$1 Bc=$2
	echo "1..21"
	log=$run/serve-a.log
	"$B" serve -d "$A" --queues 2 >"$log" 2>&1 &
	pa=$!
	wait_dev /dev/ublkb0 && wait_dev /dev/ublkb1
	# 1-3: two namespaces as two devices of one daemon, two queues each
	check "two namespaces served as /dev/ublkb0 and /dev/ublkb1 by one daemon" \
		'grep -q "^/dev/ublkb0 ready: $A namespace 1, 134217728 bytes" "$log" &&
		 grep -q "^/dev/ublkb1 ready: $A namespace 2, 134217728 bytes" "$log"' "$(cat "$log")"
	check "block size, request size, cache and discard limits reach the kernel" \
		'[[ $(cat /sys/block/ublkb0/queue/logical_block_size) == 512 &&
		    $(cat /sys/block/ublkb0/queue/max_hw_sectors_kb) == 512 &&
		    $(cat /sys/block/ublkb0/queue/write_cache) == "write back" &&
		    $(cat /sys/block/ublkb0/queue/fua) == 1 &&
		    $(cat /sys/block/ublkb0/queue/write_zeroes_max_bytes) == 33554432 ]]' \
		"$(grep . /sys/block/ublkb0/queue/{logical_block_size,max_hw_sectors_kb,write_cache,fua,write_zeroes_max_bytes} 2>&1 | tr '\n' ' ')"
	nthreads=$(ls /proc/$pa/task | wc -l)
	check "two queues, on their own threads" \
		'[[ -d /sys/block/ublkb0/mq/0 && -d /sys/block/ublkb0/mq/1 && $nthreads -ge 5 ]]' \
		"mq: $(ls /sys/block/ublkb0/mq | tr '\n' ' ') threads $nthreads"
	# 4: idle: the queue threads sleep in io_uring_enter
	sleep 1
	read -ra s0 </proc/$pa/stat
	sleep 5
	read -ra s1 </proc/$pa/stat
	ticks=$(( (s1[13] + s1[14]) - (s0[13] + s0[14]) ))
	echo "# idle daemon: $ticks ticks of $(getconf CLK_TCK)/s in 5 s"
	check "an idle daemon uses at most 1% of a core" '((ticks <= 5))' "$ticks ticks in 5 s"
	# 5-8: ext4 on /dev/ublkb0
	mnt=$(mktemp -d)
	tree=$(mktemp -d)
	for d in 1 2 3; do
		mkdir -p "$tree/d$d"
		for f in $(seq 12); do
			head -c $(( (d * 37 + f * 4099) % 200000 + 1 )) /dev/urandom >"$tree/d$d/f$f"
		done
	done
	(cd "$tree" && find . -type f -print0 | sort -z | xargs -0 sha256sum) >"$run/sums"
	if mkfs.ext4 -q -F /dev/ublkb0 && mount /dev/ublkb0 "$mnt" && cp -a "$tree/." "$mnt/" &&
	   sync && umount "$mnt"; then ok "mkfs.ext4, mount, write a tree of 36 files, sync, umount"
	else nok "mkfs/mount/write/umount"; umount "$mnt" 2>/dev/null; fi
	out=$(fsck.ext4 -fn /dev/ublkb0 2>&1)
	frc=$?
	check "fsck.ext4 -fn finds the filesystem clean" '[[ $frc == 0 ]] && ! grep -qi "error\|fix?" <<<"$out"' "$out"
	if mount /dev/ublkb0 "$mnt" && (cd "$mnt" && sha256sum --quiet -c "$run/sums"); then
		ok "mounted again, every checksum matches"
	else nok "checksums after remount"; fi
	umount "$mnt" 2>/dev/null
	st=$(status "$log" /dev/ublkb0 $pa)
	echo "# $st"
	check "the filesystem's flushes and discards reached the controller" \
		'(( $(field flushes "$st") > 0 && $(field discards "$st") > 0 && $(field errors "$st") == 0 ))' "$st"
	# 9-10: fio verify over the whole of /dev/ublkb1, 2 jobs at QD32, one per CPU
	fout=$(fio --name=verify --filename=/dev/ublkb1 --ioengine=io_uring --direct=1 \
		--rw=randwrite --bs=4k --iodepth=32 --numjobs=2 --size=50% --offset_increment=50% \
		--cpus_allowed=0-1 --cpus_allowed_policy=split --verify=crc32c --do_verify=1 \
		--verify_fatal=1 --group_reporting 2>&1)
	frc=$?
	check "fio randwrite QD32 x 2 jobs with crc32c verify over all of /dev/ublkb1" \
		'[[ $frc == 0 ]] && ! grep -qi "verify.*fail\|bad magic\|crc32c.*wanted" <<<"$fout"' "$(tail -n 20 <<<"$fout")"
	st=$(status "$log" /dev/ublkb1 $pa)
	echo "# $st"
	q0=$(sed -n 's/.*queues \([0-9]*\)\/.*/\1/p' <<<"$st") q1=$(sed -n 's/.*queues [0-9]*\/\([0-9]*\).*/\1/p' <<<"$st")
	check "both queues of /dev/ublkb1 served requests" '(( ${q0:-0} > 0 && ${q1:-0} > 0 ))' "$st"
	# 11: dd of a known pattern at a known offset (the host compares the image)
	head -c $LEN /dev/urandom >"$run/pattern"
	check "dd 1 MiB of a pattern at 96 MiB of /dev/ublkb0" \
		'dd if="$run/pattern" of=/dev/ublkb0 bs=64k seek=$((OFF / 65536)) oflag=direct conv=fsync status=none'
	# 12-13: discard and write zeroes read back as zeroes (the rig's images
	# have discard=unmap: a deallocated range is a hole, which reads as
	# zeroes), the neighbours stay
	head -c $((4 << 20)) /dev/urandom >/tmp/dz
	dd if=/tmp/dz of=/dev/ublkb1 bs=1M oflag=direct status=none
	blkdiscard -o $((1 << 20)) -l $((1 << 20)) /dev/ublkb1
	blkdiscard -z -o $((2 << 20)) -l $((1 << 20)) /dev/ublkb1
	dd if=/dev/ublkb1 of=/tmp/dzr bs=1M count=4 iflag=direct status=none
	head -c $((1 << 20)) /dev/zero >/tmp/z1
	mib() { dd if="$1" bs=1M skip="$2" count=1 status=none >/tmp/mib; }
	zero_ok() { mib /tmp/dzr "$1" && cmp -s /tmp/z1 /tmp/mib; }
	same_ok() { mib /tmp/dz "$1" && cp /tmp/mib /tmp/mib0 && mib /tmp/dzr "$1" && cmp -s /tmp/mib0 /tmp/mib; }
	st=$(status "$log" /dev/ublkb1 $pa)
	check "blkdiscard: the range reads as zeroes, the MiB before it is intact (DSM deallocate)" \
		'zero_ok 1 && same_ok 0 && (( $(field discards "$st") > 0 ))' "$st"
	check "blkdiscard -z: the range reads as zeroes, the MiB after it is intact (Write Zeroes)" \
		'zero_ok 2 && same_ok 3 && (( $(field write-zeroes "$st") > 0 ))' "$st"
	# 14: SIGTERM drains, flushes and removes both devices
	kill -TERM $pa
	wait $pa
	rc=$?
	check "SIGTERM: exit 0, cache flushed, both devices removed" \
		'[[ $rc == 0 && ! -e /dev/ublkb0 && ! -e /dev/ublkb1 ]] && grep -q "^/dev/ublkb1 removed" "$log"' \
		"rc $rc: $(tail -n 4 "$log")"
	# 15-18: 4096-byte LBAs; kill -9 in the middle of a fio verify run, then recover
	logb=$run/serve-b.log
	"$B" serve -d "$Bc" >"$logb" 2>&1 &
	pb=$!
	wait_dev /dev/ublkb0
	check "4096-byte LBAs: the device has 4096-byte logical blocks" \
		'[[ $(cat /sys/block/ublkb0/queue/logical_block_size) == 4096 ]]'
	fio --name=crash --filename=/dev/ublkb0 --ioengine=io_uring --direct=1 --rw=randwrite \
		--bs=4k --iodepth=32 --numjobs=2 --size=50% --offset_increment=50% --verify=crc32c \
		--do_verify=1 --verify_fatal=1 --group_reporting >"$run/fio-crash.log" 2>&1 &
	pf=$!
	sleep 3
	kill -9 $pb
	wait $pb 2>/dev/null
	sleep 1
	listed=$("$B" list 2>&1)
	echo "$listed" | sed 's/^/# /'
	logr=$run/recover.log
	"$B" recover >"$logr" 2>&1 &
	pr=$!
	# fio waits while no server runs: bound it, so a failed recovery fails
	# the check instead of hanging the run.
	for _ in $(seq 3000); do kill -0 $pf 2>/dev/null || break; sleep 0.1; done
	kill -0 $pf 2>/dev/null && { kill -9 $pf; echo "fio still waiting after 300 s" >>"$run/fio-crash.log"; }
	wait $pf
	frc=$?
	check "kill -9 mid-fio, udrv-blk recover: fio completes with no verify error" \
		'[[ $frc == 0 ]] && grep -q "^/dev/ublkb0 recovered" "$logr"' \
		"fio $frc: $(tail -n 8 "$run/fio-crash.log") / $(cat "$logr")"
	kill -TERM $pr
	wait $pr
	rc=$?
	check "the recovered daemon stops cleanly" '[[ $rc == 0 && ! -e /dev/ublkb0 ]]' "$(tail -n 3 "$logr")"
	# 19-21: clear errors
	out=$("$B" serve -d "$A" -n 9 2>&1); rc=$?
	check "an absent namespace: exit 1 naming it" '[[ $rc == 1 ]] && grep -q "namespace 9 is not active" <<<"$out"' "$out"
	out=$("$B" serve -d "$UDRV_RIG_VIRTIO" 2>&1); rc=$?
	check "a device that is not NVMe: exit 1, says so" '[[ $rc == 1 ]] && grep -q "is not an NVMe controller" <<<"$out"' "$out"
	rmmod ublk_drv
	out=$("$B" serve -d "$A" 2>&1); rc=$?
	check "ublk_drv not loaded: exit 1, says modprobe ublk_drv" '[[ $rc == 1 ]] && grep -q "modprobe ublk_drv" <<<"$out"' "$out"
	exit $fails
fi

BUILD=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
work=$BUILD/rig-blk-checks
mkdir -p "$work"
rm -f "$work/a.img"
truncate -s 128M "$work/a.img"
rc=0
"$here/udrv-rig" run --build "$BUILD" --keep --timeout 1800 \
	--nvme "size=128M,lba=512,ns=2,serial=RIGBLK0,image=$work/a.img" \
	--nvme size=64M,lba=4096,serial=RIGBLK1 --virtio 1 \
	-- "$here/blk-checks.sh" --guest "$BUILD" 2>"$work/stderr" | tee "$work/tap" || rc=${PIPESTATUS[0]}
[[ $rc == 77 ]] && exit 77
run=$(sed -n 's/^udrv-rig: run directory kept: //p' "$work/stderr")
grep -v '^udrv-rig: run directory kept' "$work/stderr" >&2
# 21: the pattern, read on the host from the backing image
if [[ -n $run && -s $run/pattern ]] && cmp -s -n $LEN -i $OFF:0 "$work/a.img" "$run/pattern"; then
	echo "ok 21 - the host reads the dd pattern at 96 MiB of namespace 1's backing image"
else
	echo "not ok 21 - the backing image does not hold the pattern at 96 MiB"
	rc=1
fi
if [[ -n $run && $rc == 0 ]] && ! grep -q '^not ok' "$work/tap"; then rm -rf "$run"
elif [[ -n $run ]]; then echo "blk-checks: logs kept in $run" >&2; fi
exit $rc
