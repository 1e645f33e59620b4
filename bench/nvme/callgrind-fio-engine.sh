#!/bin/sh
# Instructions per I/O of fio + the udrv engine (frontends/fio) and of
# udrv-nvme perf, side by side, on the host: both drive the NVMe controller
# model in null and inline mode (model:null,inline: no data moved, and the
# model executes on the polling thread when a completion queue is empty, so
# no empty polls are counted: see docs/nvme.md), random reads, one job.
#
# Each program runs twice under valgrind --tool=callgrind, for fewer and for
# more I/Os (fio: SHORT and LONG I/Os with io_size; perf: 1 and 3 seconds);
# the difference in instructions divided by the difference in completed I/Os
# is the cost of one I/O, start-up and tear-down cancelling out. The whole
# process counts (the program, the driver, fio's helper threads), except the
# model, which stands for the device (callgrind --toggle-collect of
# udrvi_model_poll and model_thread). Callgrind counts exactly, so the figures
# hardly depend on the host's load (fio's clock-driven work varies them by
# about 1% from run to run). fio gets the benchmark's fio options
# (bench/nvme/fio-bench-opts.sh, as bench/nvme/rig-fio-engine.sh).
#
# Prints, per point, the two figures and their ratio, then where the
# instructions of one I/O go (self instructions per function, long minus
# short), grouped: fio, the engine, udrv (driver and runtime), the tool, libc.
#
# usage: bench/nvme/callgrind-fio-engine.sh [BUILD_DIR] [POINTS] [SHORT] [LONG]
#        bench/nvme/callgrind-fio-engine.sh --help
#   BUILD_DIR  default build (with the fio engine: scripts/fetch-fio-src.sh)
#   POINTS     comma-separated BS/QD pairs, default 512/32,512/1
#   SHORT LONG fio I/O counts, default 20000 60000
#   FIO_EXTRA  environment: more fio options for both fio runs (to try some)
#   DETAIL=0   environment: the table only, no per-function breakdown
# example: bench/nvme/callgrind-fio-engine.sh build 512/32 20000 60000
# About 1 minute per point. Exit 77 when valgrind, fio or the engine is
# missing; 2 on a usage error; 1 when a run fails.
set -eu
usage() { sed -n '2,/^# missing;/p' "$0" | sed 's/^# \{0,1\}//'; }
case ${1:-} in
-h | --help) usage; exit 0 ;;
-*) echo "callgrind-fio-engine: unknown option '$1'" >&2; usage >&2; exit 2 ;;
esac
[ $# -le 4 ] || { echo "callgrind-fio-engine: at most 4 arguments, got $#" >&2; usage >&2; exit 2; }
BUILD=${1:-build}
POINTS=${2:-512/32,512/1}
SHORT=${3:-20000}
LONG=${4:-60000}
here=$(cd "$(dirname "$0")" && pwd)
for v in "$SHORT" "$LONG"; do
	case $v in
	'' | *[!0-9]* | 0*) echo "callgrind-fio-engine: SHORT and LONG must be whole numbers of at least 1 (got '$v')" >&2; exit 2 ;;
	esac
done
[ "$LONG" -gt "$SHORT" ] || { echo "callgrind-fio-engine: LONG ($LONG) must be more than SHORT ($SHORT)" >&2; exit 2; }
for p in $(echo "$POINTS" | tr , ' '); do
	case $p in
	*/*) bs=${p%/*} qd=${p#*/} ;;
	*) bs=x qd=x ;;
	esac
	case $bs$qd in
	*[!0-9]* | '') echo "callgrind-fio-engine: '$p' is not BS/QD (e.g. 512/32)" >&2; exit 2 ;;
	esac
done
[ -d "$BUILD" ] || { echo "callgrind-fio-engine: no build directory '$BUILD'" >&2; exit 2; }
U=$BUILD/apps/udrv-nvme/udrv-nvme E=$(cd "$BUILD" && pwd)/frontends/fio/fio-udrv.so
[ -x "$U" ] || { echo "callgrind-fio-engine: $U not found: build first (ninja -C $BUILD)" >&2; exit 1; }
[ -f "$E" ] || { echo "callgrind-fio-engine: the fio engine is not built in $BUILD (scripts/fetch-fio-src.sh)" >&2; exit 77; }
command -v fio >/dev/null || { echo "callgrind-fio-engine: fio not installed" >&2; exit 77; }
command -v valgrind >/dev/null || { echo "callgrind-fio-engine: valgrind not installed (apt-get install valgrind)" >&2; exit 77; }
. "$here/fio-bench-opts.sh"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export UDRV_MEM=anon UDRV_LOG=error
DEV=model:null,inline
cg() { # NAME command...: callgrind, the model excluded; "instructions" on stdout
	name=$1
	shift
	valgrind --tool=callgrind --callgrind-out-file="$out/cg.$name" \
		--toggle-collect=udrvi_model_poll --toggle-collect=model_thread --collect-atstart=yes \
		"$@" >"$out/stdout.$name" 2>"$out/stderr.$name" || {
		echo "callgrind-fio-engine: $* failed:" >&2
		cat "$out/stdout.$name" "$out/stderr.$name" >&2
		exit 1
	}
	callgrind_annotate --inclusive=no --auto=no --threshold=100 "$out/cg.$name" >"$out/annot.$name" 2>/dev/null
	awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }' "$out/annot.$name"
}
fio_ios() { # BS QD IOS NAME: "instructions ios"
	i=$(cg "$4" fio --thread --ioengine=external:"$E" --filename="$(echo "$DEV" | sed 's/:/\\:/g')" \
		--name=rr --rw=randread --bs="$1" --iodepth="$2" --numjobs=1 --io_size=$(($3 * $1)) \
		$(fio_bench_opts "$2") ${FIO_EXTRA:-} --output-format=json)
	# The first "total_ios" of fio's JSON is jobs[0].read's.
	n=$(awk -F: '/"total_ios"/ { gsub(/[ ,]/, "", $2); print $2; exit }' "$out/stdout.$4")
	echo "$i $n"
}
perf_ios() { # BS QD SECONDS NAME: "instructions ios"
	i=$(cg "$4" "$U" perf -d "$DEV" -w randread -o "$1" -q "$2" -t "$3" --json)
	n=$(sed -n 's/.*"commands": \([0-9]*\).*/\1/p' "$out/stdout.$4")
	echo "$i $n"
}
# Self instructions per I/O by function, LONG minus SHORT, grouped.
detail() { # NAME_SHORT NAME_LONG IOS
	for t in "$1" "$2"; do
		awk -v t="$t" '/^ *[0-9,]+ / && /:/ { v = $1; gsub(",", "", v); f = $0
			sub(/^ *[0-9,]+ +(\([^)]*\) +)?/, "", f); print t "\t" f "\t" v }' "$out/annot.$t"
	done | awk -F'\t' -v a="$1" -v n="$3" '
	# By source file where callgrind knows it, else by object ([/usr/bin/fio]:
	# Debian strips fio, whose functions then show as ???).
	function group(f, o) {
		if (f ~ /frontends\/fio\//) return "engine"
		if (f ~ /apps\/udrv-nvme\//) return "perf"
		if (f ~ /(^|\/)(drivers\/nvme|lib|include\/udrv)\//) return "udrv"
		if (f ~ /fio-src\// || o ~ /\/fio\]/) return "fio"
		return "libc/other"
	}
	{ k = $2; o = ""; if (match(k, / \[.*$/)) { o = substr(k, RSTART); k = substr(k, 1, RSTART - 1) }
	  if (!(k in g) || o != "") g[k] = group(k, o); if ($1 == a) s[k] += $3; else l[k] += $3 }
	END {
		for (k in l) { d = (l[k] - s[k]) / n; tot[g[k]] += d; if (d >= 1 || d <= -1) printf "  %-11s %8.1f  %s\n", g[k], d, k }
		for (x in tot) printf "= %-11s %8.1f\n", x, tot[x]
	}' | sort -k1,1 -k3,3nr | sed 's/^= /  total /'
}
printf "%-6s %4s %22s %22s %8s\n" bs QD "fio + udrv engine" "udrv-nvme perf" "eng/perf"
printf "%-6s %4s %22s %22s %8s\n" "" "" "(instructions / I/O)" "(instructions / I/O)" ""
for p in $(echo "$POINTS" | tr , ' '); do
	bs=${p%/*} qd=${p#*/}
	set -- $(fio_ios "$bs" "$qd" "$SHORT" fs) $(fio_ios "$bs" "$qd" "$LONG" fl) \
		$(perf_ios "$bs" "$qd" 1 ps) $(perf_ios "$bs" "$qd" 3 pl)
	if [ "$4" -le "$2" ] || [ "$8" -le "$6" ]; then
		echo "callgrind-fio-engine: no more I/Os in the long runs (fio $2 $4, perf $6 $8)" >&2
		exit 1
	fi
	awk -v bs="$bs" -v qd="$qd" -v fi1="$1" -v fn1="$2" -v fi2="$3" -v fn2="$4" \
		-v pi1="$5" -v pn1="$6" -v pi2="$7" -v pn2="$8" 'BEGIN {
		f = (fi2 - fi1) / (fn2 - fn1); p = (pi2 - pi1) / (pn2 - pn1)
		printf "%-6s %4d %22.1f %22.1f %7.2fx\n", bs, qd, f, p, f / p }'
	if [ "${DETAIL:-1}" = 1 ]; then
		echo "  fio + engine, self instructions per I/O ($(($4 - $2)) I/Os):" >&2
		detail fs fl $(($4 - $2)) >&2
		echo "  udrv-nvme perf, self instructions per I/O ($(($8 - $6)) I/Os):" >&2
		detail ps pl $(($8 - $6)) >&2
	fi
done
echo "fio options: $(fio_bench_opts QD) ${FIO_EXTRA:-}; device $DEV"
