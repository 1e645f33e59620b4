#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# udrv-net's command line against the virtio-net model: range checks, usage
# errors exit 2, -d model without hugepages, --version, JSON.
# Usage: net.sh UDRV_NET VERSION
. "$(dirname "$0")/lib.sh"
net=$1 version=$2
unset UDRV_MEM UDRV_CHUNK_MB UDRV_HUGEPAGE
export UDRV_LOG=error

case_ version
run "$net" --version
expect_rc 0; expect_out "udrv-net (udrv) $version"

case_ model_without_hugepages
run "$net" pktgen -d model --count 100 --json
expect_rc 0; expect_json 'd["packets"] == 100 and d["bad"] == 0'

case_ duration_must_be_finite
for t in inf nan 1e400 0x10 -1 0 2592001 ""; do
	run "$net" rx -d model -t "$t"
	expect_rc 2; expect_err "-t"
done
run "$net" pktgen -d model -t 0.2 --json
expect_rc 0; expect_json 'd["seconds"] < 2'

case_ numbers_range_checked_exit_2
run "$net" pktgen -d model --size 63
expect_rc 2; expect_err "--size 63: the frame size with FCS must be 64..1518"
run "$net" pktgen -d model --count 0
expect_rc 2; expect_err "--count 0"
run "$net" pktgen -d model --count 18446744073709551616
expect_rc 2; expect_err "--count"
run "$net" pktgen -d model --rate 1000000001
expect_rc 2; expect_err "--rate 1000000001"
run "$net" pktgen -d model --frob
expect_rc 2; expect_err "unknown option '--frob'"
run "$net" pktgen -d
expect_rc 2; expect_err "option '-d' needs a value"
run "$net" frob -d model
expect_rc 2; expect_err "unknown mode 'frob'"

case_ long_device
run "$net" rx -d "model:$(printf 'x%.0s' $(seq 300))" -t 1
expect_rc 2; expect_err "at most 255 are taken"

finish
