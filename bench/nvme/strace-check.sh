#!/bin/sh
# No system call in the timed phase: run udrv-nvme perf under strace -f and
# count the system calls each worker thread makes between its two gettid()
# markers (perf.c calls gettid at the start and the end of its timed phase).
#
# usage: bench/nvme/strace-check.sh [BUILD_DIR] [DEVICE] [SECONDS] [CORES]
#        defaults: build model:null 2 1
# Exit 0 if every worker made none, 1 otherwise, 77 if strace is missing.
set -eu
BUILD=${1:-build}
DEV=${2:-model:null}
SECS=${3:-2}
CORES=${4:-1}
BIN=$BUILD/apps/udrv-nvme/udrv-nvme
command -v strace >/dev/null || { echo "strace-check: strace not installed; skipped" >&2; exit 77; }
[ -x "$BIN" ] || { echo "strace-check: $BIN not found: build first" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
case $DEV in model*) export UDRV_MEM=${UDRV_MEM:-anon} ;; esac
strace -f -qq -o "$out/trace" "$BIN" perf -d "$DEV" -w randread -o 4k -q 32 -t "$SECS" \
	-c "$CORES" >"$out/perf.out" 2>"$out/perf.err" || {
	echo "strace-check: perf failed:" >&2
	cat "$out/perf.err" >&2
	exit 1
}
# Lines look like: "1234  gettid() = 1234" or "1234  write(2, ...) = 10";
# with several threads a call may be split into "1234  futex(... <unfinished ...>"
# and "1234  <... futex resumed>) = 0": the second half is not a new call.
awk '
/resumed>/ { next }
{
	pid = $1; call = $2; sub(/\(.*/, "", call)
	if (call == "gettid") { marks[pid]++; next }
	if (marks[pid] == 1) { n[pid]++; if (n[pid] <= 5) ex[pid] = ex[pid] "\n    " $0 }
}
END {
	workers = 0; bad = 0
	printf "%-10s %-10s %s\n", "thread", "syscalls", "(in the timed phase)"
	for (p in marks) {
		if (marks[p] < 2) continue
		workers++
		printf "%-10s %-10d%s\n", p, n[p] + 0, ex[p]
		if (n[p] > 0) bad = 1
	}
	if (!workers) { print "strace-check: no worker markers found"; exit 1 }
	print bad ? "FAIL: system calls in the timed phase" : "PASS: no system call in the timed phase"
	exit bad
}' "$out/trace"
