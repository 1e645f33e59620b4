#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every tool under hot-unplug, inside the rig (TAP output). Run by the
# rig-hotunplug-tools test (tests/rig/meson.build), which gives it 4 NVMe
# controllers (the 4th idle), 5 virtio-net ports and an e1000e port for udrv
# (the 5th virtio idle; the 4th on hub 1), a kernel virtio peer, and the
# host hook tests/rig/hook-unplug.sh with the removals in the order below.
# For each tool, while it runs under load, the host hook sends QMP device_del
# for its device once this script says so, and times DEVICE_DELETED on the
# host. Checked here: DEVICE_DELETED within 2 s (or, when the guest is slowed
# by a loaded host, within 1 s of what an idle device took under the same
# load: that part is the guest kernel and QEMU, not udrv); the tool stops at
# once and exits 1 with a message naming the removed device; no crash, no
# SIGBUS, no unmap error; a tool on another device in another process, and
# fwd's second port in the same process, keep running with 0 errors.
set -u
[[ -n ${UDRV_RIG:-} ]] || { echo "run me inside the rig (tests/rig/udrv-rig run ... -- $0)" >&2; exit 77; }
NVME=$UDRV_RIG_BUILD/apps/udrv-nvme/udrv-nvme
NET=$UDRV_RIG_BUILD/apps/udrv-net/udrv-net
RUN=$UDRV_RIG_RUN
read -r N0 N1 N2 NIDLE _ <<<"$UDRV_RIG_NVME"
read -r X R FA FB XIDLE _ <<<"$UDRV_RIG_VIRTIO"
E=${UDRV_RIG_E1000E%% *}
P=${UDRV_RIG_PEER_IFACES%% *}
ECHO_IP=10.99.0.50
t=0 failed=0
ok() { t=$((t + 1)); echo "ok $t - $*"; }
not_ok() { t=$((t + 1)); failed=$((failed + 1)); echo "not ok $t - $*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
alive() { kill -0 "$1" 2>/dev/null; }
# Bash builtins only from here on where it matters: with several tools
# busy-polling the guest's two vCPUs, every exec costs seconds under TCG.
has() { [[ -e $2 && $(<"$2") == *"$1"* ]]; }     # has TEXT FILE
hasi_bad() { [[ -e $1 && ${1:+$(<"$1")} =~ [Uu][Nn][Mm][Aa][Pp]|[Bb]us\ error|SIGBUS|[Ss]egmentation|[Ss]anitizer ]]; }
# Seconds ("1.274") to ms; "never" to a huge number.
ms() { [[ $1 =~ ^([0-9]+)(\.([0-9]{0,3}))?$ ]] || { echo 999999; return; }
	local f=${BASH_REMATCH[3]}000; echo $((BASH_REMATCH[1] * 1000 + 10#${f:0:3})); }
# time_check WHAT SECS: DEVICE_DELETED within 2 s (or 1 s past the idle
# device's $idle). Beyond that it fails, except when the idle device itself
# took 1.5 s or more: then the host is too loaded for the guest to keep
# time, and the line is a TAP TODO (reported, not counted as a failure).
time_check() {
	local what=$1 s i
	s=$(ms "$2") i=$(ms "$idle")
	if ((s <= 2000 || s <= i + 1000)); then
		ok "$what"
	elif ((i >= 1500)); then
		t=$((t + 1)); echo "not ok $t - $what # TODO loaded host: an idle device took $idle s"
	else
		not_ok "$what"
	fi
}
[[ -n $NIDLE && -n $XIDLE && -n $E && -n $P ]] || { echo "1..0 # SKIP needs 4 NVMe, 5 virtio, 1 e1000e ports and a peer"; exit 0; }

# Wait (up to SEC s) for PID to exit; sets rc (124 if it did not).
wait_exit() {
	local pid=$1 sec=$2 i
	for ((i = 0; i < sec * 10; i++)); do
		alive "$pid" || break
		sleep 0.1
	done
	if alive "$pid"; then rc=124; kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; return; fi
	wait "$pid"; rc=$?
}

# unplug TOOL QEMU_ID: ask the host hook for device_del, wait for its
# DEVICE_DELETED; sets secs (host-measured device_del -> DEVICE_DELETED).
unplug() {
	local tool=$1 id=$2 i
	: >"$RUN/unplug-$tool"
	for ((i = 0; i < 300; i++)); do
		[[ -s $RUN/deleted-$id ]] && break
		sleep 0.1
	done
	secs=never
	[[ -s $RUN/deleted-$id ]] && read -r secs <"$RUN/deleted-$id"
}

# removed_ok TOOL PID BDF ERRFILE: DEVICE_DELETED in time; the tool stopped
# with exit 1 and named the device; nothing crashed.
removed_ok() {
	local tool=$1 pid=$2 bdf=$3 err=$4
	wait_exit "$pid" 10
	time_check "$tool: DEVICE_DELETED $secs s after device_del of $bdf (host clock; idle device: $idle s)" "$secs"
	# A tool run in a loop (verify) may be between two runs at the
	# removal: the next one cannot open the device and must say why (the
	# kernel holds it for the removal, or it is gone).
	check "$tool exits 1 saying $bdf was removed (exit $rc)" \
		eval '[[ $rc == 1 ]] && { has "$bdf was removed" "$err" ||
		      { has "$bdf: cannot get the device from VFIO" "$err" &&
		        has "it is being removed (hot-unplug)" "$err"; } ||
		      has "there is no PCI device $bdf" "$err"; }'
	has "$bdf was removed" "$err" || tail -n 2 "$err" | sed "s/^/# $tool stderr: /"
	check "$tool: no crash, SIGBUS or unmap error" eval '[[ $rc != 124 && $rc -lt 128 ]] && ! hasi_bad "$err"'
}

# ---- NVMe: perf and verify, with perf on a third controller in another process
"$NVME" perf -d "$N2" -w randread -o 4k -q 8 -t 90 --json >/tmp/perf2.json 2>/tmp/perf2.err &
p2=$!
"$NVME" perf -d "$N0" -w randread -o 4k -q 32 -t 120 >/tmp/perf0.out 2>/tmp/perf0.err &
p0=$!
sleep 4
# Baseline under the same load: a controller nobody holds.
unplug idle-nvme nvme3
idle=$secs
check "idle NVMe $NIDLE: DEVICE_DELETED $idle s after device_del (baseline: guest kernel and QEMU)" \
	test "$idle" != never
check "perf on $N0 runs under load before the unplug" alive "$p0"
unplug perf nvme0
removed_ok perf "$p0" "$N0" /tmp/perf0.err

# verify writes and reads back 64 MiB again and again until its device goes.
(while :; do "$NVME" verify -d "$N1" --lba 0 --count 131072 --seed 7 >>/tmp/verify1.out 2>>/tmp/verify1.err || exit; done) &
p1=$!
sleep 4
check "verify on $N1 runs before the unplug" alive "$p1"
unplug verify nvme1
removed_ok verify "$p1" "$N1" /tmp/verify1.err

check "perf on $N2 (another process) still runs after both removals" alive "$p2"
wait_exit "$p2" 120
check "perf on $N2 (another process) exits 0 with 0 errors (exit $rc)" \
	eval '[[ $rc == 0 ]] && has "\"errors\": 0, \"failed_cores\": 0}" /tmp/perf2.json'

# ---- NIC: pktgen feeds hub 0, where rx, echo and fwd's first port listen;
# fwd's second port is on hub 1. A kernel peer pings echo. The tools run
# until their device goes (or SIGINT at the end).
"$NET" pktgen -d "$X" -t 600 --rate 20000 --json >/tmp/pktgen.json 2>/tmp/pktgen.err &
px=$!
"$NET" rx -d "$R" -t 600 --promisc --json >/tmp/rx.json 2>/tmp/rx.err &
pr=$!
"$NET" fwd -d "$FA" -d "$FB" -t 600 --promisc --json >/tmp/fwd.json 2>/tmp/fwd.err &
pf=$!
"$NET" echo -d "$E" --ip "$ECHO_IP" -t 600 --json >/tmp/echo.json 2>/tmp/echo.err &
pe=$!
sleep 5
ping -i 0.05 -W 1 "$ECHO_IP" >/tmp/ping.log 2>&1 &
pp=$!
sleep 3
for ((i = 0; i < 100; i++)); do has "bytes from" /tmp/ping.log && break; sleep 0.2; done
check "pktgen, rx, fwd and echo run under load before the unplugs" \
	eval 'alive $px && alive $pr && alive $pf && alive $pe && has "bytes from" /tmp/ping.log'
unplug idle-net net5
idle=$secs
check "idle virtio port $XIDLE: DEVICE_DELETED $idle s after device_del under the NIC tools' load" \
	test "$idle" != never

unplug rx net1
removed_ok rx "$pr" "$R" /tmp/rx.err
unplug fwd net3
time_check "fwd: DEVICE_DELETED $secs s after device_del of $FA (host clock; idle device: $idle s)" "$secs"
sleep 1
check "fwd keeps running on its other port $FB after $FA is removed" alive "$pf"
check "fwd says $FA was removed" has "$FA was removed" /tmp/fwd.err
unplug echo net2
removed_ok echo "$pe" "$E" /tmp/echo.err
kill "$pp" 2>/dev/null; wait "$pp" 2>/dev/null
check "pktgen on $X (another process) still runs after rx, fwd and echo lost their ports" alive "$px"
check "fwd (port $FB, same process) still runs after echo's removal" alive "$pf"

unplug pktgen net0
removed_ok pktgen "$px" "$X" /tmp/pktgen.err
check "pktgen sent frames without errors before its removal ($(</tmp/pktgen.json))" \
	has '"tx_errors":0' /tmp/pktgen.json
check "fwd (port $FB, same process) still runs after pktgen's removal" alive "$pf"
kill -INT "$pf"
wait_exit "$pf" 10
# Exit 1 for the removed port; the survivor had no error to report.
fwd_err=$(</tmp/fwd.err) fb_bad=0
while IFS= read -r l; do
	[[ $l == *"$FB"* && $l =~ [Ff]ail|[Ee]rror ]] && fb_bad=1
done </tmp/fwd.err
check "fwd ends with exit 1 naming $FA; nothing about $FB failing (exit $rc)" \
	eval '[[ $rc == 1 && $fwd_err == *"$FA was removed"* && $fb_bad == 0 ]]'
check "fwd: no crash, SIGBUS or unmap error" eval '[[ $rc -lt 128 ]] && ! hasi_bad /tmp/fwd.err'
times=$(<"$RUN/deleted-times")
echo "# DEVICE_DELETED seconds per device (host clock): ${times//$'\n'/; }"
echo "1..$t"
exit $((failed > 0))
