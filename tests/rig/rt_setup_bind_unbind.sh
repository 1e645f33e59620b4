#!/bin/bash
# SPDX-License-Identifier: MIT
# setup__unbind_and_bind_round_trip: `udrv-setup unbind` gives the first NVMe
# controller back to the kernel's nvme driver (a block device appears),
# `udrv-setup bind` returns it to vfio-pci (/dev/vfio/N appears), and the
# runtime opens it again. Destructive: rig or UDRV_TEST_DESTRUCTIVE=1.
# usage: rt_setup_bind_unbind.sh [UDRV_SETUP RT_DEV_OPEN_CLOSE]
# (default: $UDRV_TEST_BUILD/apps/udrv-setup/udrv-setup and
#  $UDRV_TEST_BUILD/tests/rig/rt_dev_open_close)
set -u
setup=${1:-${UDRV_TEST_BUILD:-.}/apps/udrv-setup/udrv-setup}
opener=${2:-${UDRV_TEST_BUILD:-.}/tests/rig/rt_dev_open_close}
[[ -x $setup ]] || { echo "SKIP: udrv-setup is not built yet"; exit 77; }
read -r bdf _ <<<"${UDRV_TEST_NVME:-}"
[[ -n $bdf ]] || { echo "SKIP: UDRV_TEST_NVME is not set"; exit 77; }
[[ ${UDRV_TEST_DESTRUCTIVE:-} == 1 && $(id -u) == 0 ]] ||
	{ echo "SKIP: rebinds a device: needs root and UDRV_TEST_DESTRUCTIVE=1"; exit 77; }
dev=/sys/bus/pci/devices/$bdf
driver() { basename "$(readlink "$dev/driver" 2>/dev/null)" 2>/dev/null; }
fail() { echo "FAIL: $*"; "$setup" status; exit 1; }

[[ $(driver) == vfio-pci ]] || fail "$bdf starts on $(driver), not vfio-pci"
group=$(basename "$(readlink "$dev/iommu_group")")
"$setup" unbind "$bdf" || fail "udrv-setup unbind $bdf"
for _ in $(seq 50); do [[ -n $(driver) && $(driver) != vfio-pci ]] && break; sleep 0.1; done
[[ $(driver) == nvme ]] || fail "after unbind $bdf is on '$(driver)', expected nvme"
for _ in $(seq 100); do ls "$dev"/nvme/nvme*/ >/dev/null 2>&1 && break; sleep 0.1; done
echo "unbound: $bdf on $(driver) ($(ls "$dev"/nvme 2>/dev/null))"
"$setup" status | grep -F "${bdf#0000:}" || fail "udrv-setup status does not list $bdf"

"$setup" bind "$bdf" || fail "udrv-setup bind $bdf"
[[ $(driver) == vfio-pci ]] || fail "after bind $bdf is on '$(driver)'"
[[ -c /dev/vfio/$group ]] || fail "/dev/vfio/$group missing after bind"
echo "bound again: $bdf on vfio-pci, /dev/vfio/$group"
UDRV_TEST_NVME=$bdf "$opener" || fail "the runtime cannot open $bdf after the round trip"
