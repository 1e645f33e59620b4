#!/bin/sh
# SPDX-License-Identifier: MIT
# examples/net_macswap on a device model: 64 seed frames must circulate (the
# model loops each frame back, the example swaps and resends it), every frame
# received must be one of ours, parsed as IPv4/UDP by the header accessors,
# and everything received must be sent or counted as dropped.
# usage: example_macswap.sh NET_MACSWAP MODEL
set -u
out=$("$1" "$2" --seed 64 -t 1 --json) || { echo "net_macswap $2 failed: $out"; exit 1; }
echo "$2: $out"
num() { echo "$out" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
rx=$(num rx) tx=$(num tx) drop=$(num tx_dropped) udp=$(num udp) ipv4=$(num ipv4) seeded=$(num seeded)
[ "$(num seeds_sent)" = 64 ] || { echo "FAIL: 64 seeds not sent"; exit 1; }
[ "$rx" -gt 640 ] || { echo "FAIL: the seeds did not circulate (rx $rx)"; exit 1; }
[ "$ipv4" = "$rx" ] && [ "$udp" = "$rx" ] && [ "$seeded" = "$rx" ] ||
	{ echo "FAIL: not every frame parsed as our IPv4/UDP seed"; exit 1; }
[ $((tx + drop)) = "$rx" ] || { echo "FAIL: tx + dropped != rx"; exit 1; }
echo "ok: $rx frames swapped and resent"
