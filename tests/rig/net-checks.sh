#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# udrv-net against kernel-driven peers, inside the rig (TAP output). Run:
#   tests/rig/udrv-rig run --build BUILD --virtio 1 --e1000e 1 --peer virtio \
#       -- tests/rig/net-checks.sh
# For each udrv port (virtio-net, e1000e), with the first peer port on the same hub:
#   pktgen sends N frames: the peer's counters and tcpdump see N valid UDP frames;
#   frames sent from the peer (to a static neighbour entry) are counted by udrv-net rx
#   in promiscuous mode;
#   ping from the peer to udrv-net echo loses nothing;
#   fwd (one port, MACs swapped) sends back every frame the peer sends.
# With --fwd2 it checks two-port forwarding instead, across two QEMU hubs:
#   tests/rig/udrv-rig run --build BUILD --virtio 1 --virtio 1:hub=1 --peer virtio \
#       --peer virtio:hub=1 -- tests/rig/net-checks.sh --fwd2
# the first peer (hub 0) reaches only udrv port A, the second (hub 1) only port B;
# udrv-net fwd -d A -d B must carry every frame across, each way, and nothing loops.
set -u
[[ -n ${UDRV_RIG:-} ]] || { echo "run me inside the rig (tests/rig/udrv-rig run ... -- $0)" >&2; exit 77; }
B=$UDRV_RIG_BUILD/apps/udrv-net/udrv-net
P=${UDRV_RIG_PEER_IFACES%% *}
N=${N:-1000}
OUR_IP=10.99.0.50
t=0 failed=0
ok() { t=$((t + 1)); echo "ok $t - $*"; }
not_ok() { t=$((t + 1)); failed=$((failed + 1)); echo "not ok $t - $*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
stat() { cat "/sys/class/net/$P/statistics/$1"; }
[[ -n $P ]] || { echo "1..0 # SKIP no peer port (add --peer virtio)"; exit 0; }

if [[ ${1:-} == --fwd2 ]]; then
	read -r A Bp _ <<<"$(echo ${UDRV_RIG_VIRTIO:-} ${UDRV_RIG_E1000E:-})"
	read -r P1 P2 _ <<<"${UDRV_RIG_PEER_IFACES:-}"
	read -r M1 M2 _ <<<"${UDRV_RIG_PEER_MACS:-}"
	[[ -n $Bp && -n $P2 ]] || { echo "1..0 # SKIP needs two udrv ports and two peers"; exit 0; }
	pstat() { cat "/sys/class/net/$1/statistics/$2"; }
	echo "1..3"
	# Each peer reaches the other's MAC through a host route of its own
	# (both peers live in this one guest, in one subnet).
	ip route replace 10.99.9.2/32 dev "$P1"
	ip neigh replace 10.99.9.2 lladdr "$M2" dev "$P1" nud permanent
	ip route replace 10.99.9.1/32 dev "$P2"
	ip neigh replace 10.99.9.1 lladdr "$M1" dev "$P2" nud permanent
	"$B" fwd -d "$A" -d "$Bp" -t 12 --promisc --json >/tmp/fwd2 2>/tmp/fwd2.err &
	fp=$!
	sleep 3
	r1=$(pstat "$P1" rx_packets) r2=$(pstat "$P2" rx_packets)
	for ((i = 0; i < 200; i++)); do echo "a2b $i" >/dev/udp/10.99.9.2/9; done
	sleep 1
	a2b=$(($(pstat "$P2" rx_packets) - r2)) back1=$(($(pstat "$P1" rx_packets) - r1))
	r1=$(pstat "$P1" rx_packets) r2=$(pstat "$P2" rx_packets)
	for ((i = 0; i < 200; i++)); do echo "b2a $i" >/dev/udp/10.99.9.1/9; done
	sleep 1
	b2a=$(($(pstat "$P1" rx_packets) - r1)) back2=$(($(pstat "$P2" rx_packets) - r2))
	wait "$fp"
	check "fwd A->B: the hub-1 peer received $a2b of 200 frames the hub-0 peer sent" \
		test "$a2b" -ge 200 -a "$a2b" -le 210
	check "fwd B->A: the hub-0 peer received $b2a of 200 frames the hub-1 peer sent" \
		test "$b2a" -ge 200 -a "$b2a" -le 210
	# A frame looping between the ports would come back to its sender.
	check "no loop: senders got back $back1 and $back2 frames ($(cat /tmp/fwd2) $(tail -2 /tmp/fwd2.err | tr '\n' ' '))" \
		test "$back1" -le 10 -a "$back2" -le 10 -a -s /tmp/fwd2
	exit $((failed > 0))
fi

ports=()
for d in ${UDRV_RIG_VIRTIO:-} ${UDRV_RIG_E1000E:-}; do ports+=("$d"); done
echo "1..$((${#ports[@]} * 6))"
for dev in "${ports[@]}"; do
	kind=virtio; [[ " ${UDRV_RIG_E1000E:-} " == *" $dev "* ]] && kind=e1000e

	# 1-2: pktgen -> peer counters and tcpdump
	# (rate-limited so that tcpdump under TCG keeps up; rates are bench/net's job)
	tcpdump -i "$P" -B 16384 -nn -vv -l udp port 9 >"/tmp/td.$kind" 2>"/tmp/td.$kind.err" &
	td=$!
	# tcpdump says "listening on" once its socket is capturing
	for ((i = 0; i < 100; i++)); do
		grep -q 'listening on' "/tmp/td.$kind.err" 2>/dev/null && break
		sleep 0.1
	done
	sleep 1
	before=$(stat rx_packets)
	out=$("$B" pktgen -d "$dev" --count "$N" --rate 5000 --json 2>/dev/null)
	sleep 3 # let tcpdump (slow under TCG) drain its buffer before it stops
	after=$(stat rx_packets)
	kill -INT "$td"; wait "$td" 2>/dev/null
	sent=$(sed -n 's/.*"packets":\([0-9]*\).*/\1/p' <<<"$out")
	check "$kind pktgen sent $N frames, peer counted $((after - before)) ($out)" \
		test "${sent:-0}" -eq "$N" -a $((after - before)) -ge "$N"
	udp=$(grep -c 'UDP, length' "/tmp/td.$kind")
	good=$(grep -c 'udp sum ok' "/tmp/td.$kind")
	bad=$(grep -ci 'bad .*cksum\|incorrect' "/tmp/td.$kind")
	check "$kind tcpdump saw $udp UDP frames from pktgen, $good with 'udp sum ok', $bad bad ($(grep -h 'captured\|dropped' "/tmp/td.$kind.err" | tr '\n' ' '))" \
		test "$udp" -ge "$N" -a "$good" -eq "$udp" -a "$bad" -eq 0

	# 3: peer -> udrv-net rx (unicast to a static neighbour entry with the port's MAC)
	"$B" rx -d "$dev" -t 8 --promisc --json >"/tmp/rx.$kind" 2>/dev/null &
	rxp=$!
	sleep 3
	ip neigh replace "$OUR_IP" lladdr 02:00:00:00:00:50 dev "$P" nud permanent
	for ((i = 0; i < 200; i++)); do echo "udrv $i" >"/dev/udp/$OUR_IP/9"; done
	wait "$rxp"
	got=$(sed -n 's/.*"packets":\([0-9]*\).*/\1/p' "/tmp/rx.$kind")
	check "$kind rx counted ${got:-0} of 200 frames sent by the peer ($(cat "/tmp/rx.$kind"))" \
		test "${got:-0}" -ge 200
	ip neigh del "$OUR_IP" dev "$P" 2>/dev/null

	# 4-5: ping -> udrv-net echo
	"$B" echo -d "$dev" --ip "$OUR_IP" -t 20 --json >"/tmp/echo.$kind" 2>/dev/null &
	ep=$!
	sleep 3
	ping -c 20 -i 0.2 -W 2 "$OUR_IP" >"/tmp/ping.$kind" 2>&1
	loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "/tmp/ping.$kind")
	check "$kind ping to udrv-net echo: ${loss:-?}% loss" test "${loss:-100}" = 0
	wait "$ep"
	check "$kind echo answered ARP and ICMP ($(cat "/tmp/echo.$kind"))" \
		grep -q '"icmp_replies":2[0-9]' "/tmp/echo.$kind"
	ip neigh flush dev "$P" 2>/dev/null

	# 6: peer -> udrv-net fwd (one port, MACs swapped) -> peer
	"$B" fwd -d "$dev" -t 8 --promisc --json >"/tmp/fwd.$kind" 2>/dev/null &
	fp=$!
	sleep 3
	ip neigh replace "$OUR_IP" lladdr 02:00:00:00:00:50 dev "$P" nud permanent
	before=$(stat rx_packets)
	for ((i = 0; i < 200; i++)); do echo "udrv $i" >"/dev/udp/$OUR_IP/9"; done
	sleep 1
	after=$(stat rx_packets)
	wait "$fp"
	ip neigh del "$OUR_IP" dev "$P" 2>/dev/null
	check "$kind fwd sent back $((after - before)) of 200 frames ($(cat "/tmp/fwd.$kind"))" \
		test $((after - before)) -ge 200
done
exit $((failed > 0))
