# SPDX-License-Identifier: MIT
# Sourced by bench/net/rig-vhost.sh inside the rig (UDRV_BENCH_IPP=1): whole-process
# instructions per packet of udrv-net and of testpmd on the vhost-user port, counted
# by callgrind (TCG emulates SIMD slowly, so instructions are the hardware-neutral
# figure). Each tool runs twice, IPP_SHORT and IPP_LONG seconds; (instructions of
# the long run - the short run) / (packets of the long run - the short run), so
# start-up, EAL/VFIO set-up and tear-down cancel out. Uses X, B, CTL, HOSTMAC,
# LOG, host_mode and seed_loop from rig-vhost.sh.
IPP_SHORT=${IPP_SHORT:-4} IPP_LONG=${IPP_LONG:-12}
CG=/tmp/cg
mkdir -p "$CG"
cg_total() { sed -n 's/^totals: *\([0-9]*\).*/\1/p; s/^summary: *\([0-9]*\).*/\1/p' "$1" | head -1; }
vg() { valgrind --tool=callgrind --callgrind-out-file="$1" "${@:2}"; }

# udrv-net MODE SECS [seed]: "instructions packets"
ipp_udrv() {
	local mode=$1 secs=$2 seed=${3:-} out=$CG/udrv.$1.$2 pid i
	rm -f "$out" /tmp/ipp.err
	taskset -c 0 valgrind --tool=callgrind --callgrind-out-file="$out" "$B" "$mode" -d "$X" \
		$([[ $mode == pktgen ]] && echo "--size 64 --dst-mac $HOSTMAC") -t "$secs" --json \
		>/tmp/ipp.json 2>/tmp/ipp.err &
	pid=$!
	if [[ -n $seed ]]; then
		# The loop is seeded once the port is up (its first live line).
		for ((i = 0; i < 1200; i++)); do grep -q 'fwd ' /tmp/ipp.err && break; sleep 0.1; done
		seed_loop
	fi
	wait "$pid"
	cat /tmp/ipp.json >>"$LOG"
	echo "$(cg_total "$out") $(sed -n 's/.*"packets":\([0-9]*\).*/\1/p' /tmp/ipp.json)"
}
# testpmd MODE SECS [seed]: "instructions packets". Without -i and without
# --stats-period testpmd forwards until its stdin reaches EOF: sleep's pipe.
ipp_tpmd() {
	local mode=$1 secs=$2 seed=${3:-} out=$CG/tpmd.$1.$2 pid i extra=() key=TX-packets
	[[ $mode == txonly ]] && extra=(--txpkts=60 --eth-peer=0,"$HOSTMAC")
	[[ $mode == rxonly ]] && key=RX-packets
	rm -f "$out" /tmp/ipp.tpmd
	rm -rf /dev/hugepages/udrvbench* /run/dpdk/udrvbench
	# Start-up under callgrind and TCG takes long: forwarding lasts SECS
	# from the moment testpmd asks for Enter.
	mkfifo /tmp/ipp.stdin.$$ 2>/dev/null || true
	valgrind --tool=callgrind --callgrind-out-file="$out" dpdk-testpmd -l 0,1 --main-lcore 1 -n 1 \
		-a "$X" --iova-mode=va --file-prefix udrvbench --no-telemetry -- --forward-mode="$mode" \
		--burst=32 --nb-cores=1 --rxq=1 --txq=1 --total-num-mbufs=16384 --no-lsc-interrupt \
		--no-rmv-interrupt --auto-start "${extra[@]}" <"/tmp/ipp.stdin.$$" >/tmp/ipp.tpmd 2>&1 &
	pid=$!
	exec {sfd}>"/tmp/ipp.stdin.$$"
	for ((i = 0; i < 3000; i++)); do
		grep -q 'Press enter to exit' /tmp/ipp.tpmd && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	[[ -n $seed ]] && seed_loop
	sleep "$secs"
	exec {sfd}>&-
	wait "$pid"
	rm -f "/tmp/ipp.stdin.$$"
	grep -A3 'Accumulated forward statistics' /tmp/ipp.tpmd >>"$LOG"
	echo "$(cg_total "$out") $(awk -v k="$key:" '/Accumulated forward statistics/ { a = 1 }
		a { for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }' /tmp/ipp.tpmd)"
}
ipp_row() { # LABEL TOOLFN MODE [seed]
	local s l
	s=$("$2" "$3" "$IPP_SHORT" ${4:-}) l=$("$2" "$3" "$IPP_LONG" ${4:-})
	echo "ipp $1: short $s long $l" >>"$LOG"
	echo "$s $l" | awk -v n="$1" '{ di = $3 - $1; dp = $4 - $2
		if (dp > 0) printf "%-24s %10.1f   (%d instructions, %d packets)\n", n, di / dp, di, dp
		else printf "%-24s %10s   (no packets: see the log)\n", n, "-" }'
}

echo "# instructions per packet, whole process, callgrind, runs of $IPP_SHORT s and $IPP_LONG s differenced"
host_mode rxonly start
ipp_row "udrv-net pktgen" ipp_udrv pktgen
ipp_row "testpmd txonly" ipp_tpmd txonly
host_mode txonly start
ipp_row "udrv-net rx" ipp_udrv rx
ipp_row "testpmd rxonly" ipp_tpmd rxonly
host_mode io
ipp_row "udrv-net fwd" ipp_udrv fwd seed
ipp_row "testpmd io" ipp_tpmd io seed
ipp_row "testpmd macswap" ipp_tpmd macswap seed
"$CTL" 'stop' >>"$LOG"
