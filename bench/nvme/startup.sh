#!/bin/sh
# Start-up plus tear-down of `udrv-nvme perf` in the rig: the wall time of
#   udrv-nvme perf -d BDF -w randread -o 512 -q 32 -t 1
# minus its 1 s of I/O, and where it goes, phase by phase (perf --timing and
# the library's UDRV_LOG=debug "timing:" lines). The peer, in the same guest
# boot and alternating with udrv, is fio (io_uring, O_DIRECT) on the guest
# kernel's nvme driver running the same job for 1 s (--runtime=1
# --time_based): its wall time minus 1 s.
#
# One discarded warm-up run each, then RUNS runs of each tool, interleaved;
# medians (and min-max). The raw runs go to stderr.
#
# usage: bench/nvme/startup.sh [BUILD_DIR] [RUNS]   (default: build 5)
#        PIN=0 leaves QEMU unpinned (default: rig-pin-qemu.sh, as rig-vs-fio.sh).
# Exit 77 when the rig cannot run here; 1 when the udrv median is above
# TARGET_MS (default 300).
set -eu
if [ "${1:-}" = --guest ]; then
	# ---- inside the guest (run by udrv-rig)
	B=$2 RUNS=$3 TARGET=$4
	set -- $UDRV_RIG_NVME
	bdf=$1
	set -- $UDRV_RIG_PEER_BLOCKDEVS
	blk=$1
	U=$B/apps/udrv-nvme/udrv-nvme
	out=$(mktemp -d)
	# A build from before --timing existed still gives the whole-run figure.
	timing=--timing
	"$U" perf --help | grep -q -- --timing || timing=
	now_ms() { echo $(($(date +%s%N) / 1000000)); }
	udrv_run() { # RUN_NO: prints the overhead in ms, phase lines to $out/phases.N
		t0=$(now_ms)
		UDRV_LOG=debug "$U" perf -d "$bdf" -w randread -o 512 -q 32 -t 1 -c 0, $timing \
			>/dev/null 2>"$out/err.$1" || { cat "$out/err.$1" >&2; exit 1; }
		t1=$(now_ms)
		# perf's own phases start with "= "; the library's, nested in them, with "- ".
		grep "timing: " "$out/err.$1" |
			sed 's/^udrv-nvme perf: timing: /= /; s/^.*timing: /- /' >"$out/phases.$1"
		echo $((t1 - t0 - 1000))
	}
	fio_run() {
		t0=$(now_ms)
		fio --name=st --filename="$blk" --ioengine=io_uring --direct=1 --rw=randread \
			--bs=512 --iodepth=32 --numjobs=1 --cpus_allowed=0 --norandommap \
			--runtime=1 --time_based --output=/dev/null >/dev/null 2>&1 ||
			{ echo "startup: fio failed" >&2; exit 1; }
		t1=$(now_ms)
		echo $((t1 - t0 - 1000))
	}
	exec_run() { # the floor: exec, dynamic loading and exit of the same binary
		t0=$(now_ms)
		"$U" --help >/dev/null
		t1=$(now_ms)
		echo $((t1 - t0))
	}
	stats() { sort -n | awk '{ v[NR] = $1 } END {
		printf "%d %d %d\n", v[int((NR + 1) / 2)], v[1], v[NR] }'; }
	command -v fio >/dev/null || { echo "startup: fio not installed" >&2; exit 77; }
	udrv_run 0 >/dev/null
	fio_run >/dev/null
	u="" f="" e="" ip=""
	for r in $(seq "$RUNS"); do
		u="$u $(udrv_run "$r")"
		f="$f $(fio_run)"
		e="$e $(exec_run)"
		[ -n "$timing" ] && ip="$ip $(awk '/^= / { s += $(NF - 1) } END { printf "%d", s }' "$out/phases.$r")"
	done
	echo "raw ms beyond 1 s: udrv$u | fio$f | exec floor$e | in-process$ip" >&2
	echo "udrv-nvme perf -w randread -o 512 -q 32 -t 1: start-up + tear-down by phase,"
	echo "median of $RUNS runs (ms; a phase seen twice in a run is summed)"
	for r in $(seq "$RUNS"); do
		awk -v r="$r" '{ ms = $(NF - 1); $NF = ""; $(NF - 1) = ""; sub(/ +$/, "")
			sum[$0] += ms; if (!($0 in seen)) { seen[$0] = 1; order[++n] = $0 } }
			END { for (i = 1; i <= n; i++) printf "%d\t%s\t%.3f\n", i, order[i], sum[order[i]] }' \
			"$out/phases.$r"
	done | awk -F '\t' '{ k = $2; v[k, ++c[k]] = $3; if (!(k in pos) || $1 < pos[k]) pos[k] = $1 }
		END {
			for (k in c) {
				n = c[k]
				for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
					if (v[k, j] < v[k, i]) { t = v[k, i]; v[k, i] = v[k, j]; v[k, j] = t }
				printf "%d\t%-58s %9.1f\n", pos[k], k, v[k, int((n + 1) / 2)]
			}
		}' | sort -n -k1,1 | cut -f2-
	[ -n "$ip" ] || ip=0
	set -- $(echo $u | tr ' ' '\n' | stats) $(echo $f | tr ' ' '\n' | stats) \
		$(echo $e | tr ' ' '\n' | stats) $(echo $ip | tr ' ' '\n' | stats)
	printf "%-58s %9s\n" "median (min-max), ms" ""
	printf "  %-56s %9d (%d-%d)\n" "udrv-nvme perf: whole run minus 1 s" "$1" "$2" "$3"
	printf "  %-56s %9d (%d-%d)\n" "  of which in-process (main to return, phases above)" "${10}" "${11}" "${12}"
	printf "  %-56s %9d (%d-%d)\n" "  floor: exec+exit of udrv-nvme --help" "$7" "$8" "$9"
	printf "  %-56s %9d (%d-%d)\n" "fio io_uring on the kernel nvme driver: minus 1 s" "$4" "$5" "$6"
	printf "  %-56s %9d\n" "target (udrv, whole run)" "$TARGET"
	rm -rf "$out"
	[ "$1" -le "$TARGET" ]
	exit $?
fi
# ---- on the host
BUILD=${1:-build}
RUNS=${2:-5}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
BUILD=$(cd "$BUILD" && pwd)
[ -x "$BUILD/apps/udrv-nvme/udrv-nvme" ] || { echo "startup: build udrv-nvme first" >&2; exit 1; }
hook=""
[ "${PIN:-1}" = 1 ] && hook="$here/rig-pin-qemu.sh"
exec "$src/tests/rig/udrv-rig" run --build "$BUILD" --cpus 2 ${hook:+--host-hook "$hook"} \
	--nvme size=256M,lba=512,serial=UDRVSTART --peer nvme:size=256M,lba=512,serial=FIOSTART \
	-- "$here/startup.sh" --guest "$BUILD" "$RUNS" "${TARGET_MS:-300}"
