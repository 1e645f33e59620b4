#!/bin/sh
# udrv-nvme perf against fio (io_uring, O_DIRECT) on the guest kernel's nvme
# driver, in the rig: same guest, two identical emulated QEMU NVMe
# controllers (one bound to vfio-pci for udrv, one left to the kernel), one
# core, 4 KiB and 512 B random reads at QD1 and QD32. Prints a table.
#
# usage: bench/nvme/rig-vs-fio.sh [BUILD_DIR] [SECONDS]      (default: build 5)
# Exit 77 when the rig cannot run here (no QEMU, no guest kernel).
set -eu
if [ "${1:-}" = --guest ]; then
	# ---- inside the guest (run by udrv-rig)
	B=$2 SECS=$3
	set -- $UDRV_RIG_NVME
	bdf=$1
	set -- $UDRV_RIG_PEER_BLOCKDEVS
	blk=$1
	command -v fio >/dev/null || { echo "rig-vs-fio: fio not installed (apt-get install fio)" >&2; exit 77; }
	printf "%-6s %4s %12s %12s %8s\n" "bs" "QD" "udrv IOPS" "fio IOPS" "ratio"
	for bs in 4096 512; do
		for qd in 1 32; do
			u=$("$B/apps/udrv-nvme/udrv-nvme" perf -d "$bdf" -w randread -o "$bs" -q "$qd" \
				-t "$SECS" --json 2>/dev/null | sed -n 's/.*"iops": \([0-9.]*\).*/\1/p' | head -n 1)
			f=$(fio --name=rr --filename="$blk" --ioengine=io_uring --direct=1 --rw=randread \
				--bs="$bs" --iodepth="$qd" --numjobs=1 --runtime="$SECS" --time_based \
				--output-format=json 2>/dev/null |
				sed -n 's/^ *"iops" : \([0-9.]*\),*$/\1/p' | head -n 1)
			awk -v bs="$bs" -v qd="$qd" -v u="${u:-0}" -v f="${f:-0}" 'BEGIN {
				r = "-"; if (f > 0) r = sprintf("%.2fx", u / f)
				printf "%-6s %4d %12.0f %12.0f %8s\n", bs, qd, u, f, r }'
		done
	done
	exit 0
fi
# ---- on the host
BUILD=${1:-build}
SECS=${2:-5}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
BUILD=$(cd "$BUILD" && pwd)
[ -x "$BUILD/apps/udrv-nvme/udrv-nvme" ] || { echo "rig-vs-fio: build udrv-nvme first" >&2; exit 1; }
# The guest runs the command from the host's / (read-only 9p): use paths.
exec "$src/tests/rig/udrv-rig" run --build "$BUILD" --cpus 2 \
	--nvme size=256M,lba=512,serial=UDRVBENCH --peer nvme:size=256M,lba=512,serial=FIOBENCH \
	-- "$here/rig-vs-fio.sh" --guest "$BUILD" "$SECS"
