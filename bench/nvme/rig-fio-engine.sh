#!/bin/sh
# The fio engine (frontends/fio) against its two peers, in the rig, one guest
# boot: fio + the udrv engine and udrv-nvme perf on one emulated QEMU NVMe
# controller bound to vfio-pci, fio io_uring on an identical controller left
# to the guest kernel's nvme driver. 512 B and 4 KiB random reads at QD1 and
# QD32, one job, one core. Prints IOPS and p99 latency side by side.
#
# Fairness, as bench/nvme/rig-vs-fio.sh: same guest (TCG, 2 vCPUs), same QEMU
# device model and backing (sparse 256 MiB raw files, 512-byte LBAs); each
# tool on vCPU 0 (perf -c 0, fio --cpus_allowed=0), QEMU pinned by
# rig-pin-qemu.sh (PIN=0: not pinned); fio io_uring gets fixed buffers,
# registered files and norandommap, and interrupts (the kernel's default
# completion path; rig-vs-fio.sh also measures its polled mode). Both fio
# runs use the same fio options (ramp 1 s, time based, norandommap). Every
# point: one discarded warm-up run per tool, then REPEAT runs of the three
# tools interleaved; the table shows medians, raw runs go to stderr.
# Run it with UDRV_RIG_EXCLUSIVE=1 (no other guest shares the CPUs).
#
# usage: bench/nvme/rig-fio-engine.sh [BUILD_DIR] [SECONDS] [REPEAT]  (default: build 3 3)
# Exit 77 when the rig or the engine is unavailable.
set -eu
if [ "${1:-}" = --guest ]; then
	B=$2 SECS=$3 REPEAT=$4
	set -- $UDRV_RIG_NVME
	bdf=$1
	set -- $UDRV_RIG_PEER_BLOCKDEVS
	blk=$1
	U=$B/apps/udrv-nvme/udrv-nvme E=$B/frontends/fio/fio-udrv.so
	# perf: "IOPS P99_US"
	perf() { # BS QD SECS
		timeout $(($3 + 60)) "$U" perf -d "$bdf" -w randread -o "$1" -q "$2" -t "$3" -c 0, --json 2>/dev/null |
			python3 -c 'import json,sys; j=json.load(sys.stdin); print("%.0f %.1f" % (j["iops"], j["latency_us"]["p99"]))'
	}
	fiojob() { # BS QD SECS fio options...
		bs=$1 qd=$2 s=$3
		shift 3
		timeout $((s + 60)) fio --name=rr --rw=randread --bs="$bs" --iodepth="$qd" --numjobs=1 --cpus_allowed=0 \
			--norandommap --randrepeat=0 --ramp_time=1 --runtime="$s" --time_based \
			--output-format=json "$@" 2>/dev/null |
			python3 -c 'import json,sys
r=json.load(sys.stdin)["jobs"][0]["read"]
print("%.0f %.1f" % (r["iops"], r["clat_ns"]["percentile"]["99.000000"] / 1000.0))'
	}
	engine() { fiojob "$@" --thread --ioengine=external:"$E" --filename="$(echo "$bdf" | tr : .)"; }
	uring() { fiojob "$@" --ioengine=io_uring --filename="$blk" --direct=1 --fixedbufs=1 --registerfiles=1; }
	med() { sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'; }
	echo "median of $REPEAT runs of ${SECS} s, random reads, 1 job on 1 core: IOPS and p99 latency (us)"
	printf "%-5s %3s %18s %18s %18s %9s %9s\n" bs QD "fio+udrv engine" "udrv-nvme perf" \
		"fio io_uring" "eng/perf" "eng/uring"
	for bs in 512 4096; do
		for qd in 1 32; do
			engine "$bs" "$qd" 1 >/dev/null
			perf "$bs" "$qd" 1 >/dev/null
			uring "$bs" "$qd" 1 >/dev/null
			: >/tmp/e; : >/tmp/p; : >/tmp/k
			for r in $(seq "$REPEAT"); do
				engine "$bs" "$qd" "$SECS" >>/tmp/e
				perf "$bs" "$qd" "$SECS" >>/tmp/p
				uring "$bs" "$qd" "$SECS" >>/tmp/k
				echo "run $r bs=$bs qd=$qd: engine $(tail -1 /tmp/e) perf $(tail -1 /tmp/p) io_uring $(tail -1 /tmp/k)" >&2
			done
			echo "raw bs=$bs qd=$qd: engine $(tr '\n' ' ' </tmp/e)| perf $(tr '\n' ' ' </tmp/p)| io_uring $(tr '\n' ' ' </tmp/k)" >&2
			ei=$(cut -d' ' -f1 /tmp/e | med) el=$(cut -d' ' -f2 /tmp/e | med)
			pi=$(cut -d' ' -f1 /tmp/p | med) pl=$(cut -d' ' -f2 /tmp/p | med)
			ki=$(cut -d' ' -f1 /tmp/k | med) kl=$(cut -d' ' -f2 /tmp/k | med)
			awk -v bs="$bs" -v qd="$qd" -v ei="$ei" -v el="$el" -v pi="$pi" -v pl="$pl" \
				-v ki="$ki" -v kl="$kl" 'BEGIN {
				printf "%-5s %3d %8d %8.1fus %8d %8.1fus %8d %8.1fus %8s %8s\n", bs, qd,
					ei, el, pi, pl, ki, kl,
					(pi > 0 ? sprintf("%.2fx", ei / pi) : "-"),
					(ki > 0 ? sprintf("%.1fx", ei / ki) : "-") }'
		done
	done
	exit 0
fi
# ---- on the host
BUILD=${1:-build}
SECS=${2:-3}
REPEAT=${3:-3}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
BUILD=$(cd "$BUILD" && pwd)
[ -x "$BUILD/apps/udrv-nvme/udrv-nvme" ] || { echo "rig-fio-engine: build udrv-nvme first" >&2; exit 1; }
[ -f "$BUILD/frontends/fio/fio-udrv.so" ] ||
	{ echo "rig-fio-engine: the fio engine is not built (scripts/fetch-fio-src.sh)" >&2; exit 77; }
hook=""
[ "${PIN:-1}" = 1 ] && hook="$here/rig-pin-qemu.sh"
exec "$src/tests/rig/udrv-rig" run --build "$BUILD" --timeout 1800 --cpus 2 ${hook:+--host-hook "$hook"} \
	--nvme size=256M,lba=512,serial=UDRVBENCH --peer nvme:size=256M,lba=512,serial=FIOBENCH \
	-- "$here/rig-fio-engine.sh" --guest "$BUILD" "$SECS" "$REPEAT"
