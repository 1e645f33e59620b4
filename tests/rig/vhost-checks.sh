#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# udrv-net on a virtio-net port backed by the host's vhost-user backend
# (udrv-rig --virtio-vhost), with the backend's own counters as the independent
# check (TAP output). Run:
#   tests/rig/udrv-rig run --build BUILD --virtio-vhost 1 --vhost-mode rxonly \
#       -- tests/rig/vhost-checks.sh
# 1. pktgen sends N frames; the backend (rxonly) received exactly N.
# 2. the backend feeds the guest (txonly); udrv-net rx counts frames, no errors.
# 3. the backend reflects (io) a few bursts it sent first; udrv-net fwd (MACs
#    swapped) keeps them circulating: thousands forwarded, the backend got
#    back what fwd sent (less its last ring at close).
# 4. a new pktgen after all that: the backend receives every frame.
# 5. examples/net_macswap seeds 64 frames; the backend (io) reflects them:
#    they circulate, and the backend received what the example sent.
set -u
[[ -n ${UDRV_RIG:-} ]] || { echo "run me inside the rig (tests/rig/udrv-rig run --virtio-vhost 1 ... -- $0)" >&2; exit 77; }
here=$(cd "$(dirname "$0")" && pwd)
B=$UDRV_RIG_BUILD/apps/udrv-net/udrv-net
CTL=$here/vhost-ctl
X=${UDRV_RIG_VHOST%% *}
N=${N:-20000}
t=0
ok() { t=$((t + 1)); echo "ok $t - $*"; }
not_ok() { t=$((t + 1)); echo "not ok $t - $*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
jnum() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
[[ -n $X ]] || { echo "1..0 # SKIP no vhost-user port (udrv-rig --virtio-vhost 1)"; exit 0; }
echo "1..5"

"$CTL" 'stop' 'set fwd rxonly' 'clear port stats all' 'start' >/dev/null
out=$(taskset -c 0 "$B" pktgen -d "$X" --count "$N" --json 2>/dev/null)
sleep 0.5
got=$("$CTL" --rx-packets 0)
check "pktgen sent $(jnum packets <<<"$out") frames; the backend received $got (of $N)" \
	test "$(jnum packets <<<"$out")" = "$N" -a "${got:-0}" = "$N"

"$CTL" 'stop' 'set fwd txonly' 'clear port stats all' 'start' >/dev/null
out=$(taskset -c 0 "$B" rx -d "$X" -t 2 --json 2>/dev/null)
"$CTL" 'stop' >/dev/null
sent=$("$CTL" --tx-packets 0)
check "udrv-net rx received $(jnum packets <<<"$out") of the backend's $sent frames, rx_errors $(jnum rx_errors <<<"$out")" \
	test "$(jnum packets <<<"$out")" -gt 1000 -a "$(jnum packets <<<"$out")" -le "${sent:-0}" \
	-a "$(jnum rx_errors <<<"$out")" = 0

"$CTL" 'set fwd io' 'clear port stats all' >/dev/null
taskset -c 0 "$B" fwd -d "$X" --json >/tmp/vfwd 2>/tmp/vfwd.err &
fp=$!
# Seed once the port is up (fwd's first live line, a second into its loop):
# frames sent while the guest driver (re)initialises the device are dropped.
for ((i = 0; i < 100; i++)); do grep -q 'fwd ' /tmp/vfwd.err && break; sleep 0.1; done
# A seed the guest's ring could not take yet is not sent (the backend counts
# only frames it enqueued): seed again, up to 3 times, until some went out.
for ((try = 0; try < 3; try++)); do
	"$CTL" 'start tx_first 2' >/dev/null
	for ((i = 0; i < 10; i++)); do
		v=$("$CTL" --tx-packets 0)
		((${v:-0} > 0)) && break 2
		sleep 0.3
	done
	echo "# the backend's seed did not go out (try $((try + 1))): seeding again"
	"$CTL" 'stop' >/dev/null
done
# Let it circulate until the backend has seen 5000 frames back (at most 20 s;
# a control round trip can take seconds on a loaded host), then stop fwd.
for ((i = 0; i < 40; i++)); do
	v=$("$CTL" --rx-packets 0)
	((${v:-0} >= 5000)) && break
	sleep 0.5
done
kill -INT "$fp"
wait "$fp"
"$CTL" 'stop' >/dev/null
fwd=$(jnum packets </tmp/vfwd) back=$("$CTL" --rx-packets 0) sent=$("$CTL" --tx-packets 0)
# The backend forwards what it receives, so it sent exactly 64 (its seed)
# more than it got back. fwd's frames reached it, less those still in the
# guest's tx ring when fwd closed the port (at most a ring, 256): closing a
# port does not wait for the device to drain it.
((${fwd:-0} > 1000)) || tail -n 3 /tmp/vfwd.err | sed 's/^/# fwd stderr: /'
check "udrv-net fwd forwarded $fwd frames of a loop seeded with 64; the backend got back $back, sent $sent" \
	test "${fwd:-0}" -gt 1000 -a $((${sent:-0} - ${back:-0})) -gt 0 -a $((${sent:-0} - ${back:-0})) -le 64 \
	-a "${back:-0}" -le "${fwd:-0}" -a $((${fwd:-0} - ${back:-0})) -le 256
# After the loop: rxonly again, the port still works (a second open of the device).
"$CTL" 'set fwd rxonly' 'clear port stats all' 'start' >/dev/null
out=$(taskset -c 0 "$B" pktgen -d "$X" --count 1000 --json 2>/dev/null)
sleep 0.5
got=$("$CTL" --rx-packets 0)
check "after the loop, a new pktgen's 1000 frames: the backend received $got" test "${got:-0}" = 1000

# The network-function example on the real port: its 64 seeds circulate
# through the backend (io) and back; the backend received what it sent.
EX=$UDRV_RIG_BUILD/examples/net_macswap
"$CTL" 'stop' 'set fwd io' 'clear port stats all' 'start' >/dev/null
out=$(taskset -c 0 "$EX" "$X" --seed 64 -t 3 --json 2>&1)
"$CTL" 'stop' >/dev/null
got=$("$CTL" --rx-packets 0) rx=$(jnum rx <<<"$out") tx=$(jnum tx <<<"$out")
exp=$((${tx:-0} + 64)) # its seeds and what it forwarded, less the last ring at close
check "net_macswap: $out; the backend received $got of $exp" \
	test "${rx:-0}" -gt 1000 -a "$(jnum seeds_sent <<<"$out")" = 64 -a "$(jnum udp <<<"$out")" = "${rx:-1}" \
	-a "${got:-0}" -le "$exp" -a "${got:-0}" -ge $((exp - 256))
