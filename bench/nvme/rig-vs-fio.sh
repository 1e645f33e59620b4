#!/bin/sh
# udrv-nvme perf against fio (io_uring, O_DIRECT) on the guest kernel's nvme
# driver, in the rig: one guest boot, two identical emulated QEMU NVMe
# controllers (one bound to vfio-pci for udrv, one left to the kernel), one
# core, 4 KiB and 512 B random reads at QD1 and QD32. Prints a table.
#
# Fairness and reproducibility:
# - same guest (TCG, 2 vCPUs), same QEMU device model and backing (a sparse
#   256 MiB raw file each, 512-byte LBAs), same workload;
# - one core each: udrv-nvme perf pinned to vCPU 0 (-c 0,), fio one job
#   pinned to vCPU 0 (--cpus_allowed=0);
# - on the host, rig-pin-qemu.sh (a udrv-rig host hook) puts vCPU 0 alone
#   on host CPU 0 and QEMU's main loop (the NVMe emulation), I/O workers and
#   vCPU 1 on host CPU 1, for both peers alike (PIN=0: no pinning);
# - fio gets the io_uring options that only help it (fixed buffers,
#   registered files, norandommap) in two modes: interrupts (the default),
#   and polled completions (--hipri on an nvme poll queue, the kernel's
#   closest analogue of udrv's polling: poll_queues=1 is set and the peer
#   controller re-probed before the runs);
# - udrv runs with shadow doorbells (the default) and with MMIO doorbells
#   only (UDRV_NVME_NO_SHADOW_DB=1); the ratios use the default;
# - every point: one discarded warm-up run per tool, then REPEAT runs of each
#   tool, interleaved; the table shows the median (and min-max); the raw
#   runs go to stderr;
# - the kernel's device sits in its default IOMMU domain (DMA, as for every
#   kernel with intel_iommu=on): it maps and unmaps each I/O, udrv maps its
#   memory once. With EXTRA=1 the kernel's device is then moved to an
#   identity (passthrough) domain and 4 KiB QD32 is measured again, as an
#   upper bound for the kernel without per-I/O IOMMU work.
#
# usage: bench/nvme/rig-vs-fio.sh [BUILD_DIR] [SECONDS] [REPEAT]  (default: build 3 3)
#        EXTRA=1 adds the identity-domain row; PIN=0 leaves QEMU unpinned.
#        About 5 minutes with the defaults (6 with EXTRA=1).
# Exit 77 when the rig cannot run here (no QEMU, no guest kernel).
set -eu
if [ "${1:-}" = --guest ]; then
	# ---- inside the guest (run by udrv-rig)
	B=$2 SECS=$3 REPEAT=$4 EXTRA=$5
	set -- $UDRV_RIG_NVME
	bdf=$1
	set -- $UDRV_RIG_PEER_BLOCKDEVS
	blk=$1
	set -- $UDRV_RIG_PEER_NVME
	pbdf=$1
	U=$B/apps/udrv-nvme/udrv-nvme
	command -v fio >/dev/null || { echo "rig-vs-fio: fio not installed (apt-get install fio)" >&2; exit 77; }
	# Re-probe the kernel's controller (unbind, optionally change its IOMMU
	# domain, bind) and wait for its block device.
	reprobe() {
		echo "$pbdf" >/sys/bus/pci/drivers/nvme/unbind
		if [ -n "${1:-}" ]; then
			g=$(basename "$(readlink "/sys/bus/pci/devices/$pbdf/iommu_group")")
			echo "$1" >"/sys/kernel/iommu_groups/$g/type"
		fi
		echo "$pbdf" >/sys/bus/pci/drivers/nvme/bind
		i=0
		while [ ! -b "$blk" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
		[ -b "$blk" ] || { echo "rig-vs-fio: $blk did not come back" >&2; exit 1; }
	}
	echo 1 >/sys/module/nvme/parameters/poll_queues
	reprobe
	udrv() { # BS QD SECS
		UDRV_NVME_NO_SHADOW_DB=${NOSHADOW:-0} "$U" perf -d "$bdf" -w randread -o "$1" -q "$2" -t "$3" -c 0, --json 2>/dev/null |
			sed -n 's/^{.*"seconds": [0-9.]*, "iops": \([0-9.]*\).*/\1/p'
	}
	fio1() { # BS QD SECS [fio options]
		bs=$1 qd=$2 s=$3
		shift 3
		fio --name=rr --filename="$blk" --ioengine=io_uring --direct=1 --rw=randread \
			--bs="$bs" --iodepth="$qd" --numjobs=1 --cpus_allowed=0 --fixedbufs=1 \
			--registerfiles=1 --norandommap --randrepeat=0 --ramp_time=1 --runtime="$s" \
			--time_based --output-format=terse --terse-version=3 "$@" 2>/dev/null |
			awk -F';' 'NF > 8 { print $8 }'
	}
	# median / min / max of the numbers on stdin
	stats() { sort -n | awk '{ v[NR] = $1 } END {
		if (!NR) { print "0 0 0"; exit }
		printf "%.0f %.0f %.0f\n", v[int((NR + 1) / 2)], v[1], v[NR] }'; }
	point() { # BS QD LABEL [extra fio options for the polled column]
		bs=$1 qd=$2 label=$3
		udrv "$bs" "$qd" 1 >/dev/null
		fio1 "$bs" "$qd" 1 >/dev/null
		u="" m="" fq="" fp=""
		for r in $(seq "$REPEAT"); do
			u="$u $(udrv "$bs" "$qd" "$SECS")"
			m="$m $(NOSHADOW=1 udrv "$bs" "$qd" "$SECS")"
			fq="$fq $(fio1 "$bs" "$qd" "$SECS")"
			fp="$fp $(fio1 "$bs" "$qd" "$SECS" --hipri)"
		done
		echo "raw bs=$bs qd=$qd $label: udrv$u | udrv-mmio$m | irq$fq | hipri$fp" >&2
		set -- $(echo $u | tr ' ' '\n' | stats) $(echo $m | tr ' ' '\n' | stats) \
			$(echo $fq | tr ' ' '\n' | stats) $(echo $fp | tr ' ' '\n' | stats)
		awk -v bs="$bs" -v qd="$qd" -v l="$label" -v u="$1" -v ul="$2" -v uh="$3" \
			-v m="$4" -v ml="$5" -v mh="$6" -v f="$7" -v fl="$8" -v fh="$9" \
			-v p="${10}" -v pl="${11}" -v ph="${12}" 'BEGIN {
			printf "%-5s %3d %-8s %6d (%5d-%5d) %6d (%5d-%5d) %6d (%5d-%5d) %6d (%5d-%5d) %6s %6s\n",
				bs, qd, l, u, ul, uh, m, ml, mh, f, fl, fh, p, pl, ph,
				(f > 0 ? sprintf("%.1fx", u / f) : "-"), (p > 0 ? sprintf("%.1fx", u / p) : "-") }'
	}
	echo "median of $REPEAT runs of ${SECS} s (min-max), IOPS, random reads, 1 core"
	printf "%-5s %3s %-8s %20s %20s %20s %20s %6s %6s\n" "bs" "QD" "kernel" "udrv (shadow db)" \
		"udrv (MMIO db)" "fio io_uring irq" "fio io_uring hipri" "/irq" "/hipri"
	for bs in 4096 512; do
		for qd in 1 32; do
			point "$bs" "$qd" dma
		done
	done
	if [ "$EXTRA" = 1 ]; then
		reprobe identity
		point 4096 32 identity
	fi
	exit 0
fi
# ---- on the host
BUILD=${1:-build}
SECS=${2:-3}
REPEAT=${3:-3}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
BUILD=$(cd "$BUILD" && pwd)
[ -x "$BUILD/apps/udrv-nvme/udrv-nvme" ] || { echo "rig-vs-fio: build udrv-nvme first" >&2; exit 1; }
# The guest runs the command from the host's / (read-only 9p): use paths.
hook=""
[ "${PIN:-1}" = 1 ] && hook="$here/rig-pin-qemu.sh"
exec "$src/tests/rig/udrv-rig" run --build "$BUILD" --cpus 2 ${hook:+--host-hook "$hook"} \
	--nvme size=256M,lba=512,serial=UDRVBENCH --peer nvme:size=256M,lba=512,serial=FIOBENCH \
	-- "$here/rig-vs-fio.sh" --guest "$BUILD" "$SECS" "$REPEAT" "${EXTRA:-0}"
