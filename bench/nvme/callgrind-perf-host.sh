#!/bin/sh
# Whole-process user-space instructions per I/O of `udrv-nvme perf` on the
# host: the host-side counterpart of callgrind-perf-rig.sh, for iterating
# without the rig. perf drives the NVMe controller model in null and inline
# mode (model:null,inline: no data moved, and the model executes on the
# polling thread when a completion queue is empty, so valgrind's one-thread-
# at-a-time scheduling adds no empty polls; see docs/nvme.md), 512 B random
# reads, QD32, one core, under valgrind --tool=callgrind, for SHORT and LONG
# seconds; the difference in instructions divided by the difference in
# completed I/Os is the cost of one I/O, start-up and tear-down cancelling
# out. Everything the process executes counts (the driver, the tool's I/O
# loop and callback, the status thread, the polls), except the model, which
# stands for the device: its thread (callgrind --separate-threads) and its
# polls on the worker's thread (the inclusive cost of udrvi_model_poll).
#
# Unlike the rig, the device here never makes the driver wait: nearly every
# poll finds completions. The script prints polls and empty polls per I/O, so
# a rig figure can be read as this one plus its empty polls (docs/nvme.md
# gives what one costs).
#
# usage: bench/nvme/callgrind-perf-host.sh [BUILD_DIR] [SHORT] [LONG]  (default: build 1 3)
# Exit 77 without valgrind; 2 on a usage error; 1 when above TARGET (default 236).
set -eu
case ${1:-} in
-h | --help) sed -n '2,/^# Exit 77/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
-*) echo "callgrind-perf-host: unknown option '$1'" >&2; exit 2 ;;
esac
BUILD=${1:-build}
SHORT=${2:-1}
LONG=${3:-3}
TARGET=${TARGET:-236}
for v in "$SHORT" "$LONG"; do
	case $v in
	'' | *[!0-9]* | 0*) echo "callgrind-perf-host: SHORT and LONG are whole seconds of at least 1 (got '$v')" >&2; exit 2 ;;
	esac
done
[ "$LONG" -gt "$SHORT" ] || { echo "callgrind-perf-host: LONG ($LONG) must be more than SHORT ($SHORT)" >&2; exit 2; }
U=$BUILD/apps/udrv-nvme/udrv-nvme
[ -x "$U" ] || { echo "callgrind-perf-host: $U not found: build first (ninja -C $BUILD)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "callgrind-perf-host: valgrind not installed (apt-get install valgrind); skipped" >&2; exit 77; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

run() { # SECONDS
	UDRV_MEM=anon UDRV_LOG=error valgrind --tool=callgrind --separate-threads=yes \
		--compress-strings=no --compress-pos=no --callgrind-out-file="$out/cg.$1.%p" \
		"$U" perf -d model:null,inline -w randread -o 512 -q 32 -t "$1" --json \
		>"$out/json.$1" 2>"$out/err.$1" || { cat "$out/err.$1" >&2; exit 1; }
}

# Over the threads but the model's (the one running model_thread):
# "total<TAB>instructions", "model<TAB>instructions of udrvi_model_poll calls",
# "calls<TAB>callee<TAB>n", "self<TAB>fn<TAB>instructions" (model functions
# left out by name: nm_*, udrvi_nm_*, udrv_model_*, and what they call is
# inside the udrvi_model_poll total).
digest() { # SECONDS
	for f in "$out"/cg."$1".*-*; do
		grep -q '^fn=model_thread$' "$f" && continue
		cat "$f"
	done | awk '
		/^fn=/ { fn = substr($0, 4); cfn = ""; next }
		/^cfn=/ { cfn = substr($0, 5); next }
		/^calls=/ { split(substr($0, 7), c, " "); calls[cfn] += c[1]; incall = 1; next }
		/^[0-9+*-]/ { n = split($0, v, " ")
			if (incall) { incall = 0; if (cfn == "udrvi_model_poll") model += v[n]; next }
			self[fn] += v[n]; total += v[n]; next }
		END {
			printf "total\t%d\nmodel\t%d\n", total, model
			for (f in calls) printf "calls\t%s\t%d\n", f, calls[f]
			for (f in self) printf "self\t%s\t%d\n", f, self[f]
		}'
}

run "$SHORT"
run "$LONG"
digest "$SHORT" >"$out/d.s"
digest "$LONG" >"$out/d.l"
ios() { sed -n 's/.*"commands": \([0-9]*\).*/\1/p' "$out/json.$1"; }
n1=$(ios "$SHORT") n2=$(ios "$LONG")
if [ -z "$n1" ] || [ -z "$n2" ] || [ "$n2" -le "$n1" ]; then
	echo "callgrind-perf-host: no more I/Os in the long run ($n1, $n2):" >&2
	cat "$out/json.$SHORT" "$out/err.$SHORT" "$out/json.$LONG" "$out/err.$LONG" >&2
	exit 1
fi

awk -F '\t' -v n1="$n1" -v n2="$n2" -v s="$SHORT" -v l="$LONG" -v target="$TARGET" '
	FNR == 1 { run++ }
	$1 == "total" { t[run] = $2 }
	$1 == "model" { m[run] = $2 }
	$1 == "calls" { c[run, $2] = $3 }
	$1 == "self" { f[run, $2] = $3; names[$2] = 1 }
	END {
		dio = n2 - n1
		dpo = c[2, "udrv_nvme_qpair_poll"] - c[1, "udrv_nvme_qpair_poll"]
		dre = c[2, "udrvi_nvme_process_cq"] - c[1, "udrvi_nvme_process_cq"]
		printf "udrv-nvme perf -d model:null,inline -w randread -o 512 -q 32 under callgrind (host)\n"
		printf "%-10s %16s %12s\n", "", "instructions", "I/Os"
		printf "%-10s %16d %12d\n", "-t " s, t[1], n1
		printf "%-10s %16d %12d\n", "-t " l, t[2], n2
		printf "\npolls per I/O %.3f, of them empty %.3f\n", dpo / dio, (dpo - dre) / dio
		printf "\nfunctions, self instructions per I/O (long minus short)\n"
		for (k in names) {
			if (k ~ /^(nm_|udrvi_nm_|udrv_model_|udrvi_model_|udrvi_mem_iova_to_va|cq_full)/)
				continue
			d = (f[2, k] - f[1, k]) / dio
			if (d >= 0.5 || d <= -0.5) printf "%10.1f  %s\n", d, k | "sort -rn"
		}
		close("sort -rn")
		v = (t[2] - m[2] - t[1] + m[1]) / dio
		printf "\nthe model (left out), per I/O: %.1f\n", (m[2] - m[1]) / dio
		printf "\ninstructions per I/O (whole process, the model left out): %.1f (target %d)\n",
			v, target
		exit v <= target ? 0 : 1
	}' "$out/d.s" "$out/d.l"
