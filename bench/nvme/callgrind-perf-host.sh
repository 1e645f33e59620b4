#!/bin/sh
# Whole-process user-space instructions per I/O of `udrv-nvme perf` on the
# host, on the NVMe controller model in null mode: the host-side counterpart
# of callgrind-perf-rig.sh, for iterating without the rig. perf runs twice
# under valgrind --tool=callgrind (512 B random reads, QD32, one core), for
# SHORT and LONG seconds; differences in instructions over the difference in
# completed I/Os are per-I/O costs, start-up and tear-down cancelling out.
#
# Two things differ from the rig, and the script takes them out:
# - The model is a thread of the same process: its instructions are the
#   device's, not the driver's (callgrind --separate-threads; the thread
#   running model_thread is left out).
# - Valgrind runs one thread at a time, switching every ~100k basic blocks,
#   so the worker polls an empty queue for a whole time slice while the model
#   waits for its turn: thousands of empty polls per I/O, where on hardware
#   (or in the rig, the device on another CPU) there are a few. The script
#   counts polls (calls of udrv_nvme_qpair_poll) and the polls that found
#   completions (calls of udrvi_nvme_process_cq), and removes the empty ones
#   at the cost of an average poll of the worker's loop (its own instructions
#   plus those of udrv_nvme_qpair_poll and nvme_poll_full, per call; nearly
#   every poll here is empty, so that is what an empty poll costs, the full
#   poll every NVME_IDLE_POLLS-th included). The polls that reaped stay in,
#   as the batch overhead.
# - Some work runs per unit of time, not per I/O: the status thread (main)
#   wakes 50 times a second, and the driver's timeout and health check
#   (udrvi_nvme_check_timeouts, udrvi_nvme_health_check) runs every 100 ms
#   at most. With a few hundred I/Os per second under valgrind their per-I/O
#   share means nothing (on hardware it is a few instructions per million),
#   so they are shown on their own lines, per second, not in the figure.
#
# The figure: worker instructions per I/O without empty polls and timed
# checks (driver submit and complete, the tool's callback: clock, histogram,
# LBA, resubmission; the polls that reaped).
#
# usage: bench/nvme/callgrind-perf-host.sh [BUILD_DIR] [SHORT] [LONG]  (default: build 1 3)
# Exit 77 without valgrind; 1 when above TARGET (default 236).
set -eu
BUILD=${1:-build}
SHORT=${2:-1}
LONG=${3:-3}
TARGET=${TARGET:-236}
U=$BUILD/apps/udrv-nvme/udrv-nvme
[ -x "$U" ] || { echo "callgrind-perf-host: $U not found: build first (ninja -C $BUILD)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "callgrind-perf-host: valgrind not installed (apt-get install valgrind); skipped" >&2; exit 77; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

run() { # SECONDS
	UDRV_MEM=anon UDRV_LOG=error valgrind --tool=callgrind --fair-sched=yes --separate-threads=yes \
		--compress-strings=no --compress-pos=no --callgrind-out-file="$out/cg.$1.%p" \
		"$U" perf -d model:null -w randread -o 512 -q 32 -t "$1" --json \
		>"$out/json.$1" 2>"$out/err.$1" || { cat "$out/err.$1" >&2; exit 1; }
}

# Per thread dump of one run: "thread<TAB>total<TAB>polls<TAB>reaping polls<TAB>loop self"
# plus "fn<TAB>thread<TAB>name<TAB>self" lines.
digest() { # SECONDS
	for f in "$out"/cg."$1".*-*; do
		awk -v th="${f##*-}" '
			/^fn=/ { fn = substr($0, 4); sub(/^\([0-9]+\) */, "", fn); cfn = ""; next }
			/^cfn=/ { cfn = substr($0, 5); sub(/^\([0-9]+\) */, "", cfn); next }
			/^calls=/ { split(substr($0, 7), c, " "); incall = 1
				if (cfn == "udrv_nvme_qpair_poll") polls += c[1]
				if (cfn == "udrvi_nvme_process_cq") reap += c[1]
				next }
			/^[0-9+*-]/ { n = split($0, v, " "); if (incall) { incall = 0; next }
				self[fn] += v[n]; total += v[n]; next }
			END {
				model = ("model_thread" in self) ? 1 : 0
				printf "thread\t%s\t%d\t%d\t%d\t%d\t%d\t%d\n", th, model, total, polls, reap,
					self["worker_main"] + self["udrv_nvme_qpair_poll"] + self["nvme_poll_full"],
					self["udrvi_nvme_check_timeouts"] + self["udrvi_nvme_health_check"]
				for (f in self) printf "fn\t%s\t%s\t%d\n", th, f, self[f]
			}' "$f"
	done
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

# The worker is the thread with the polls; main is thread 1; the model is left out.
awk -F '\t' -v n="$((n2 - n1))" -v n1="$n1" -v n2="$n2" -v s="$SHORT" -v l="$LONG" \
	-v target="$TARGET" '
	FNR == 1 { run++ }
	$1 == "thread" && !$3 {
		if ($5 > 0) { wt[run] = $4; po[run] = $5; re[run] = $6; lp[run] = $7; tm[run] = $8
			wth[run] = $2 }
		else if ($2 + 0 == 1) mt[run] = $4
		else ot[run] += $4
	}
	$1 == "fn" { th[run, $2] = 1; f[run, $2, $3] = $4; names[$3] = 1 }
	END {
		dio = n; dpo = po[2] - po[1]; dre = re[2] - re[1]
		e = (lp[2] - lp[1]) / dpo            # an average poll of the loop
		empty = dpo - dre
		raw = (wt[2] - wt[1]) / dio
		fig = (wt[2] - wt[1] - (tm[2] - tm[1]) - empty * e) / dio
		printf "udrv-nvme perf -d model:null -w randread -o 512 -q 32 under callgrind (host)\n"
		printf "%-40s %14s %10s %12s %10s\n", "", "worker instr", "I/Os", "polls", "reaping"
		printf "%-40s %14d %10d %12d %10d\n", "-t " s, wt[1], n1, po[1], re[1]
		printf "%-40s %14d %10d %12d %10d\n", "-t " l, wt[2], n2, po[2], re[2]
		printf "\nempty polls per I/O (valgrind scheduling)  %10.1f at %.1f instructions each\n",
			empty / dio, e
		printf "worker per I/O, empty polls included      %10.1f\n", raw
		printf "status thread (main), per second           %10.0f\n", (mt[2] - mt[1]) / (l - s)
		printf "timeout and health checks, per second      %10.0f\n", (tm[2] - tm[1]) / (l - s)
		if (ot[2] - ot[1] != 0)
			printf "other threads per I/O                      %10.1f\n", (ot[2] - ot[1]) / dio
		printf "\nworker functions, self instructions per I/O (long minus short; the loop and\n"
		printf "poll entries include the empty polls)\n"
		for (k in names) {
			d = (f[2, wth[2], k] - f[1, wth[1], k]) / dio
			if (d >= 0.5 || d <= -0.5) printf "%10.1f  %s\n", d, k | "sort -rn"
		}
		close("sort -rn")
		printf "\ninstructions per I/O (worker, empty polls and timed checks removed): %.1f (target %d)\n",
			fig, target
		exit fig <= target ? 0 : 1
	}' "$out/d.s" "$out/d.l"
