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
# registered files and interrupts (the kernel's default completion path;
# rig-vs-fio.sh also measures its polled mode). Both fio runs use the same
# fio options: bench/nvme/fio-bench-opts.sh (docs/fio.md says why each; the
# same as callgrind-fio-engine.sh counts), --thread, a 1 s ramp, time based.
# Every point: one
# discarded warm-up run per tool, then REPEAT runs of the three tools
# interleaved; the table shows medians, each run and the raw runs go to stderr.
# Run it with UDRV_RIG_EXCLUSIVE=1 (no other guest shares the CPUs).
#
# usage: bench/nvme/rig-fio-engine.sh [BUILD_DIR] [SECONDS] [REPEAT]  (default: build 3 3)
#        bench/nvme/rig-fio-engine.sh --help
#        PIN=0 leaves QEMU unpinned. About 25 minutes with the defaults
#        (QEMU TCG starts fio slowly); the guest's time limit grows with
#        SECONDS and REPEAT.
# example: UDRV_RIG_EXCLUSIVE=1 UDRV_RIG_KERNEL_DIR=/work/rig-kernel bench/nvme/rig-fio-engine.sh build 3 3
# Exit 77 when the rig, fio or the engine is unavailable; 2 on a usage error.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/fio-bench-opts.sh"
if [ "${1:-}" = --guest ]; then
	# ---- inside the guest (run by udrv-rig)
	B=$2 SECS=$3 REPEAT=$4
	set -- $UDRV_RIG_NVME
	bdf=$1
	set -- $UDRV_RIG_PEER_BLOCKDEVS
	blk=$1
	U=$B/apps/udrv-nvme/udrv-nvme E=$B/frontends/fio/fio-udrv.so
	command -v fio >/dev/null || { echo "rig-fio-engine: fio not installed (apt-get install fio)" >&2; exit 77; }
	out=$(mktemp -d)
	# Each tool prints "IOPS P99_US"; a failed run stops the benchmark with its output.
	failed() { # TOOL
		echo "rig-fio-engine: $1 failed:" >&2
		cat "$out/json" "$out/err" >&2
		exit 1
	}
	perf() { # BS QD SECS
		timeout $(($3 + 60)) "$U" perf -d "$bdf" -w randread -o "$1" -q "$2" -t "$3" -c 0, --json \
			>"$out/json" 2>"$out/err" || failed "udrv-nvme perf"
		python3 -c 'import json,sys; j=json.load(sys.stdin); print("%.0f %.1f" % (j["iops"], j["latency_us"]["p99"]))' \
			<"$out/json" || failed "udrv-nvme perf (output)"
	}
	fiojob() { # TOOL BS QD SECS fio options...
		tool=$1 bs=$2 qd=$3 s=$4
		shift 4
		timeout $((s + 60)) fio --name=rr --rw=randread --bs="$bs" --iodepth="$qd" --numjobs=1 \
			--cpus_allowed=0 $(fio_bench_opts "$qd") --thread --ramp_time=1 --time_based \
			--runtime="$s" --output-format=json "$@" \
			>"$out/json" 2>"$out/err" || failed "$tool"
		python3 -c 'import json,sys
r=json.load(sys.stdin)["jobs"][0]["read"]
print("%.0f %.1f" % (r["iops"], r["clat_ns"]["percentile"]["99.000000"] / 1000.0))' \
			<"$out/json" || failed "$tool (output)"
	}
	engine() { fiojob "fio + udrv engine" "$@" --ioengine=external:"$E" --filename="$(echo "$bdf" | tr : .)"; }
	uring() { fiojob "fio io_uring" "$@" --ioengine=io_uring --filename="$blk" --direct=1 --fixedbufs=1 --registerfiles=1; }
	med() { sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'; }
	echo "median of $REPEAT runs of ${SECS} s, random reads, 1 job on 1 core: IOPS and p99 latency (us)"
	echo "fio options of both fio runs: $(fio_bench_opts QD) --thread --ramp_time=1 --time_based"
	printf "%-5s %3s %18s %18s %18s %9s %9s\n" bs QD "fio+udrv engine" "udrv-nvme perf" \
		"fio io_uring" "eng/perf" "eng/uring"
	for bs in 512 4096; do
		for qd in 1 32; do
			engine "$bs" "$qd" 1 >/dev/null
			perf "$bs" "$qd" 1 >/dev/null
			uring "$bs" "$qd" 1 >/dev/null
			: >"$out/e"; : >"$out/p"; : >"$out/k"
			for r in $(seq "$REPEAT"); do
				engine "$bs" "$qd" "$SECS" >>"$out/e"
				perf "$bs" "$qd" "$SECS" >>"$out/p"
				uring "$bs" "$qd" "$SECS" >>"$out/k"
				echo "run $r bs=$bs qd=$qd: engine $(tail -1 "$out/e") perf $(tail -1 "$out/p") io_uring $(tail -1 "$out/k")" >&2
			done
			echo "raw bs=$bs qd=$qd: engine $(tr '\n' ' ' <"$out/e")| perf $(tr '\n' ' ' <"$out/p")| io_uring $(tr '\n' ' ' <"$out/k")" >&2
			ei=$(cut -d' ' -f1 "$out/e" | med) el=$(cut -d' ' -f2 "$out/e" | med)
			pi=$(cut -d' ' -f1 "$out/p" | med) pl=$(cut -d' ' -f2 "$out/p" | med)
			ki=$(cut -d' ' -f1 "$out/k" | med) kl=$(cut -d' ' -f2 "$out/k" | med)
			awk -v bs="$bs" -v qd="$qd" -v ei="$ei" -v el="$el" -v pi="$pi" -v pl="$pl" \
				-v ki="$ki" -v kl="$kl" 'BEGIN {
				printf "%-5s %3d %8d %8.1fus %8d %8.1fus %8d %8.1fus %8s %8s\n", bs, qd,
					ei, el, pi, pl, ki, kl,
					(pi > 0 ? sprintf("%.2fx", ei / pi) : "-"),
					(ki > 0 ? sprintf("%.1fx", ei / ki) : "-") }'
		done
	done
	rm -rf "$out"
	exit 0
fi
# ---- on the host
usage() { sed -n '2,/^# Exit 77/p' "$0" | sed 's/^# \{0,1\}//'; }
case ${1:-} in
-h | --help) usage; exit 0 ;;
-*) echo "rig-fio-engine: unknown option '$1'" >&2; usage >&2; exit 2 ;;
esac
[ $# -le 3 ] || { echo "rig-fio-engine: at most 3 arguments (BUILD_DIR SECONDS REPEAT), got $#" >&2; exit 2; }
BUILD=${1:-build}
SECS=${2:-3}
REPEAT=${3:-3}
for v in "$SECS" "$REPEAT"; do
	case $v in
	'' | *[!0-9]* | 0*) echo "rig-fio-engine: SECONDS and REPEAT must be whole numbers of at least 1 (got '$v')" >&2; exit 2 ;;
	esac
done
src=$(cd "$here/../.." && pwd)
[ -d "$BUILD" ] || { echo "rig-fio-engine: no build directory '$BUILD' (meson setup $BUILD && ninja -C $BUILD)" >&2; exit 2; }
BUILD=$(cd "$BUILD" && pwd)
[ -x "$BUILD/apps/udrv-nvme/udrv-nvme" ] || { echo "rig-fio-engine: build udrv-nvme first (ninja -C $BUILD)" >&2; exit 1; }
[ -f "$BUILD/frontends/fio/fio-udrv.so" ] ||
	{ echo "rig-fio-engine: the fio engine is not built in $BUILD (scripts/fetch-fio-src.sh, then meson setup --reconfigure $BUILD)" >&2; exit 77; }
hook=""
[ "${PIN:-1}" = 1 ] && hook="$here/rig-pin-qemu.sh"
# The guest's time limit: the boot, then for each of the 4 points 3 warm-up
# runs and 3 x REPEAT timed ones, each SECONDS plus the 1 s ramp plus up to
# 30 s of fio or perf start-up and tear-down under TCG (a point took 6 minutes
# with the defaults). 1800 s at least.
limit=$((300 + 4 * (3 * 32 + 3 * REPEAT * (SECS + 31))))
[ "$limit" -ge 1800 ] || limit=1800
# The guest runs the command from the host's / (read-only 9p): use paths.
exec "$src/tests/rig/udrv-rig" run --build "$BUILD" --timeout "$limit" --cpus 2 ${hook:+--host-hook "$hook"} \
	--nvme size=256M,lba=512,serial=UDRVBENCH --peer nvme:size=256M,lba=512,serial=FIOBENCH \
	-- "$here/rig-fio-engine.sh" --guest "$BUILD" "$SECS" "$REPEAT"
