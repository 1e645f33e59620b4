#!/bin/bash
# SPDX-License-Identifier: MIT
# Runs test programs one after another inside the rig and reports them as TAP
# (meson's 'tap' protocol shows each as a subtest). The devices under test
# come from udrv-rig's UDRV_RIG_* variables (see rigtest.h):
#   UDRV_TEST_NVME = the NVMe controllers on vfio-pci
#   UDRV_TEST_NET = the virtio-net and e1000e ports on vfio-pci
#   UDRV_TEST_NONVFIO = the first peer port (on a kernel driver)
#   UDRV_TEST_NONVIABLE = the NVMe controller of --nonviable-group
#   UDRV_TEST_DESTRUCTIVE = 1 (the guest is disposable)
# usage: run-tests.sh [--timeout SEC] PROGRAM...
set -u
per_test_timeout=300
[[ ${1:-} == --timeout ]] && { per_test_timeout=$2; shift 2; }
export UDRV_TEST_NVME=${UDRV_TEST_NVME-${UDRV_RIG_NVME:-}}
export UDRV_TEST_NET=${UDRV_TEST_NET-$(echo ${UDRV_RIG_VIRTIO:-} ${UDRV_RIG_E1000E:-})}
read -r first_peer _ <<<"${UDRV_RIG_PEER_BDFS:-}"
export UDRV_TEST_NONVFIO=${UDRV_TEST_NONVFIO-${first_peer:-}}
export UDRV_TEST_NONVIABLE=${UDRV_TEST_NONVIABLE-${UDRV_RIG_NONVIABLE:-}}
export UDRV_TEST_DESTRUCTIVE=${UDRV_TEST_DESTRUCTIVE-${UDRV_RIG:+1}}
export UDRV_TEST_BUILD=${UDRV_TEST_BUILD-${UDRV_RIG_BUILD:-}}

echo "1..$#"
i=0 failed=0
for t in "$@"; do
	i=$((i + 1))
	name=$(basename "$t"); name=${name%.sh}
	start=$(date +%s.%N)
	out=$(timeout "$per_test_timeout" "$t" 2>&1)
	rc=$?
	secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	[[ -n $out ]] && sed 's/^/# /' <<<"$out"
	case $rc in
	0) echo "ok $i - $name (${secs}s)" ;;
	77) why=$(sed -n 's/^SKIP: //p' <<<"$out" | head -n1)
	    echo "ok $i - $name # SKIP ${why:-skipped}" ;;
	124) echo "not ok $i - $name (timed out after ${per_test_timeout}s)"; failed=$((failed + 1)) ;;
	*) echo "not ok $i - $name (exit $rc, ${secs}s)"; failed=$((failed + 1)) ;;
	esac
done
((failed == 0))
