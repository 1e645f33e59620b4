#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# udrv-nvme's command line against the controller model: range checks and
# exit codes, -o beyond the transfer limit, set-up failures that stop perf
# at once, -d model without hugepages, --version, verify --json.
# Usage: nvme.sh UDRV_NVME VERSION [sanitize]
. "$(dirname "$0")/lib.sh"
nvme=$1 version=$2 sanitize=${3:-}
unset UDRV_MEM UDRV_CHUNK_MB UDRV_HUGEPAGE
export UDRV_LOG=error

case_ version
run "$nvme" --version
expect_rc 0; expect_out "udrv-nvme (udrv) $version"

# The first example of --help, on a machine with no hugepages free (the
# model runs on ordinary pages unless UDRV_MEM says otherwise).
case_ model_without_hugepages
run "$nvme" identify -d model
expect_rc 0; expect_out "controller nvme-model"
run env UDRV_LOG=info "$nvme" identify -d model
expect_err "DMA memory from ordinary pages"
case_ model_with_udrv_mem_huge_names_anon
if [[ $(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0) == 0 ]]; then
	run env UDRV_MEM=huge "$nvme" identify -d model
	expect_rc 1; expect_err "UDRV_MEM=anon"
fi

case_ nsid_out_of_range
run "$nvme" perf -d model -n 4294967297 -w randread -o 4k -q 1 -t 1
expect_rc 2; expect_err "-n 4294967297: a namespace id must be 1..4294967294"
run "$nvme" verify -d model -n 0 --lba 0 --count 1 --seed 1
expect_rc 2; expect_err "a namespace id must be"
run "$nvme" verify -d model -n 2 --lba 0 --count 1 --seed 1
expect_rc 2; expect_err "namespace 2 is not active"

case_ size_overflow_is_refused_not_wrapped
run "$nvme" perf -d model -w randread -o 18014398509481985k -q 1 -t 1
expect_rc 2; expect_err "-o 18014398509481985k: the I/O size must be"
run "$nvme" perf -d model -w randread -o 4x -q 1 -t 1
expect_rc 2; expect_err "is a byte count"

case_ numbers_range_checked_exit_2
for args in "-q 0" "-q 4096" "-t 0" "-t 86401" "-M 101 -w randrw" "-c 0" "-c 257" "-q -1" "-t 1e3"; do
	run "$nvme" perf -d model -w randread -o 4k -q 1 -t 1 $args
	expect_rc 2; expect_err "Try 'udrv-nvme perf --help'"
done
run "$nvme" verify -d model --lba 0 --count 0 --seed 1
expect_rc 2; expect_err "--count 0: the number of LBAs must be at least 1"
run "$nvme" verify -d model --lba 32768 --count 1 --seed 1
expect_rc 2; expect_err "reaches beyond namespace 1 (32768 blocks"
run "$nvme" verify -d model --lba 0 --count 1 --seed 18446744073709551616
expect_rc 2; expect_err "--seed"
run "$nvme" identify -d model --frob
expect_rc 2; expect_err "unknown option '--frob'"
run "$nvme" verify -d model --lba
expect_rc 2; expect_err "option '--lba' needs a value"

case_ cpu_list
ncpu=$(nproc)
run "$nvme" perf -d model -w randread -o 4k -q 1 -t 1 -c ,
expect_rc 2; expect_err "-c ',': a CPU list is"
run "$nvme" perf -d model -w randread -o 4k -q 1 -t 1 -c "$ncpu,"
expect_rc 2; expect_err "CPU $ncpu is not one this process may run on"
run "$nvme" perf -d model -w randread -o 4k -q 1 -t 1 -c 0,0
expect_rc 2; expect_err "CPU 0 is listed twice"

case_ long_model_spec
spec=model:null$(printf ',null%.0s' $(seq 60))
run "$nvme" identify -d "$spec"
expect_rc 2; expect_err "at most 255 are taken"
run "$nvme" identify -d model:ns=4294967297
expect_rc 2; expect_err "ns=4294967297 is not a number in 1..16"

# -o above the transfer limit: split across MDTS (8 KiB here) into commands
# of one I/O; -q 1 needs a queue of 32 entries for 256 KiB.
case_ io_size_split_at_mdts
for q in 1 4; do
	run "$nvme" perf -d model:null,mdts=1 -w randread -o 256k -q $q -t 1 --json
	expect_rc 0
	expect_json 'd["iops"] > 0 and d["errors"] == 0 and d["failed_cores"] == 0'
	expect_json 'd["cores"][0]["commands"] >= 32 * d["cores"][0]["iops"] * 0.9'
done
case_ io_size_beyond_split_refused
run "$nvme" perf -d model:mdts=1 -w randread -o 1m -q 1 -t 1
expect_rc 2; expect_err "takes at most 8192 bytes per command (its MDTS)"
expect_err "the largest -o is 524288 (512k)"; expect_no_err "[   1s]"
case_ depth_beyond_queue_refused_before_start
run "$nvme" perf -d model:qsize=16 -w randread -o 4k -q 64 -t 5
expect_rc 2; expect_err "-q 64 is deeper than model:qsize=16's queues allow (15 requests"
expect_no_err "[   1s]"
run "$nvme" perf -d model:qsize=64,mdts=1 -w randread -o 64k -q 16 -t 5
expect_rc 2; expect_err "each I/O is 8 commands of at most 8192 bytes"; expect_err "use -q 7 or less"

# A worker that cannot set up (here: no DMA memory for 200 x 8 MiB under a
# 3 GB address-space limit) stops perf before its timed phase, not after -t.
case_ setup_failure_stops_at_once
if [[ -z $sanitize ]]; then # ASan cannot run under ulimit -v
	start=$SECONDS
	run bash -c "ulimit -v 3000000; exec '$nvme' perf -d model:null,qsize=4096,mdts=8 -w randread -o 8m -q 200 -t 20"
	expect_rc 1; expect_err "core 0: set-up failed"; expect_no_err "[   1s]"
	((SECONDS - start < 10)) || fail "took $((SECONDS - start)) s with -t 20"
fi

case_ verify_json
run "$nvme" verify -d model --lba 8 --count 300 --seed 7 --json
expect_rc 0
expect_json 'd["nsid"] == 1 and d["first_lba"] == 8 and d["blocks"] == 300 and d["lba_size"] == 512'
expect_json 'd["seed"] == 7 and d["written"] and d["read_back"] and d["mismatched_lbas"] == 0'
expect_json 'd["io_errors"] == 0 and d["mismatches"] == [] and d["errors"] == [] and not d["flush_failed"]'
run "$nvme" verify -d model --lba 8 --count 3 --seed 7 --read-only --json
expect_rc 1
expect_json 'd["mismatched_lbas"] == 3 and not d["written"] and len(d["mismatches"]) == 3'
expect_json 'd["mismatches"][0]["lba"] == 8 and d["mismatches"][0]["read"] == "0x0000000000000000"'

case_ identify_json_pci_ids_are_hex_strings
run "$nvme" identify -d model --json
expect_rc 0
expect_json 'd["controller"]["vendor"] == "1b36" and d["controller"]["subsystem_vendor"] == "1af4"'

finish
