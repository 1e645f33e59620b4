#!/bin/bash
# /dev/ublkb0 served by udrv-blk against /dev/nvme0n1 of an identical QEMU NVMe
# controller on the guest kernel's nvme driver, in one rig boot (issue 10):
# fio io_uring, one job, 4 KiB random reads at QD1 and QD32 and 128 KiB
# sequential reads at QD32. Prints IOPS, MiB/s, p50/p99 completion latency
# and CPU (fio's, and for udrv the daemon's), then the daemon's idle CPU.
#
# Fairness: same guest (TCG, 2 vCPUs), same device model and backing (a
# sparse 256 MiB raw file each, 512-byte LBAs), same fio options; fio pinned
# to vCPU 0 for both; the daemon's one queue thread pinned to vCPU 1 (the
# kernel's driver completes on interrupts, wherever they land). QEMU's
# threads are not pinned on the host by default: bench/nvme/rig-pin-qemu.sh
# would put vCPU 1 (the polling daemon) on the host CPU of the NVMe emulation
# it waits for (PIN=1 does it anyway). Each point: a warm-up run of each, then
# REPEAT runs alternating udrv-blk and kernel; medians are printed, the raw
# runs go to stderr. Run it alone: it takes both rig slots
# (UDRV_RIG_EXCLUSIVE=1).
#
# usage: [NAP=US] [POINTS='rw bs qd,...'] bench/blk/rig-vs-kernel.sh [BUILD_DIR] [SECONDS] [REPEAT]
#   (default build 5 3; NAP: udrv-blk --nap-us, default 0; POINTS default
#   'randread 4k 1,randread 4k 32,read 128k 32')
# Exit 77 when the rig cannot run here.
set -eu
if [[ ${1:-} == --guest ]]; then
	B=$2 SECS=$3 REPEAT=$4 NAP=$5 POINTS=$6
	set -- $UDRV_RIG_NVME
	bdf=$1
	set -- $UDRV_RIG_PEER_BLOCKDEVS
	kblk=$1
	command -v fio >/dev/null || { echo "rig-vs-kernel: fio not installed" >&2; exit 77; }
	log=$UDRV_RIG_RUN/serve.log
	"$B/apps/udrv-blk/udrv-blk" serve -d "$bdf" --cpus "${UDRV_BENCH_DAEMON_CPU:-1}" --nap-us "$NAP" >"$log" 2>&1 &
	pd=$!
	for _ in $(seq 100); do [[ -b /dev/ublkb0 ]] && break; sleep 0.1; done
	[[ -b /dev/ublkb0 ]] || { cat "$log" >&2; exit 1; }
	ticks() { local s; read -ra s <"/proc/$pd/stat"; echo $((s[13] + s[14])); }
	hz=$(getconf CLK_TCK)
	# one fio run: prints "iops mibps p50_us p99_us fio_cpu_pct daemon_cpu_pct"
	run() { # DEV RW BS QD SECS
		local t0 t1 d=$1
		t0=$(ticks)
		fio --name=b --filename="$d" --ioengine=io_uring --direct=1 --rw="$2" --bs="$3" \
			--iodepth="$4" --numjobs=1 --cpus_allowed=0 --fixedbufs=1 --registerfiles=1 \
			--norandommap --randrepeat=0 --ramp_time=1 --runtime="$5" --time_based \
			--output-format=json 2>/dev/null >/tmp/fio.json || true
		t1=$(ticks)
		python3 - "$5" "$((t1 - t0))" "$hz" "$d" <<'PY'
import json, sys
secs, dt, hz, dev = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
try:
    j = json.load(open("/tmp/fio.json"))["jobs"][0]
except Exception:
    print("0 0 0 0 0 0"); sys.exit()
r = j["read"]; p = r["clat_ns"].get("percentile", {})
dcpu = 100.0 * dt / hz / (secs + 1) if dev.startswith("/dev/ublkb") else 0
print("%.0f %.1f %.1f %.1f %.1f %.1f" % (r["iops"], r["bw"] / 1024.0, p.get("50.000000", 0) / 1000.0,
      p.get("99.000000", 0) / 1000.0, j["usr_cpu"] + j["sys_cpu"], dcpu))
PY
	}
	med() { sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'; }
	col() { awk -v c="$1" '{ print $c }' "$2" | med; }
	printf "%-14s %-7s %9s %9s %8s %8s %8s %10s\n" point device IOPS MiB/s p50_us p99_us fio_cpu% daemon_cpu%
	IFS=, read -ra pts <<<"$POINTS"
	for pt in "${pts[@]}"; do
		set -- $pt
		run /dev/ublkb0 "$1" "$2" "$3" 1 >/dev/null
		run "$kblk" "$1" "$2" "$3" 1 >/dev/null
		: >/tmp/u; : >/tmp/k
		for _ in $(seq "$REPEAT"); do
			run /dev/ublkb0 "$1" "$2" "$3" "$SECS" >>/tmp/u
			run "$kblk" "$1" "$2" "$3" "$SECS" >>/tmp/k
		done
		echo "raw $pt: udrv-blk: $(tr '\n' '|' </tmp/u) kernel: $(tr '\n' '|' </tmp/k)" >&2
		for who in u k; do
			printf "%-14s %-7s %9s %9s %8s %8s %8s %10s\n" "$1 $2 QD$3" \
				"$([[ $who == u ]] && echo udrv-blk || echo kernel)" \
				"$(col 1 /tmp/$who)" "$(col 2 /tmp/$who)" "$(col 3 /tmp/$who)" \
				"$(col 4 /tmp/$who)" "$(col 5 /tmp/$who)" \
				"$([[ $who == u ]] && col 6 /tmp/$who || echo -)"
		done
		awk -v u="$(col 1 /tmp/u)" -v k="$(col 1 /tmp/k)" -v p="$pt" \
			'BEGIN { if (k > 0) printf "%-14s ratio udrv-blk/kernel IOPS %.2fx\n", p, u / k }'
	done
	sleep 2
	t0=$(ticks)
	sleep 10
	t1=$(ticks)
	awk -v d=$((t1 - t0)) -v hz="$hz" 'BEGIN { printf "idle daemon: %.2f%% of a core over 10 s (%d ticks)\n", 100 * d / hz / 10, d }'
	kill -TERM $pd
	wait $pd
	exit 0
fi
BUILD=$(cd "${1:-build}" && pwd)
SECS=${2:-5}
REPEAT=${3:-3}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
[[ -x $BUILD/apps/udrv-blk/udrv-blk ]] || { echo "rig-vs-kernel: build udrv-blk first" >&2; exit 1; }
hook=""
[[ ${PIN:-0} == 1 ]] && hook="$src/bench/nvme/rig-pin-qemu.sh"
UDRV_RIG_EXCLUSIVE=1 exec "$src/tests/rig/udrv-rig" run --build "$BUILD" --cpus 2 \
	${hook:+--host-hook "$hook"} \
	--nvme size=256M,lba=512,serial=BLKBENCH --peer nvme:size=256M,lba=512,serial=KBENCH \
	-- "$here/rig-vs-kernel.sh" --guest "$BUILD" "$SECS" "$REPEAT" "${NAP:-0}" \
	"${POINTS:-randread 4k 1,randread 4k 32,read 128k 32}"
