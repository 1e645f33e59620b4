#!/bin/bash
# SPDX-License-Identifier: MIT
# Host hook for udrv-rig: hot-unplugs device ID (e.g. nvme0) over QMP and
# waits for QEMU's DEVICE_DELETED event (sent once the guest let go).
#   hook-unplug.sh ID [WAIT_FILE]
# With WAIT_FILE, first waits (up to 120 s) for $UDRV_RIG_RUN/WAIT_FILE, which
# the test in the guest creates once it holds the device.
set -eu
here=$(dirname "${BASH_SOURCE[0]}")
if [[ -n ${2:-} ]]; then
	for ((i = 0; i < 1200; i++)); do
		[[ -e $UDRV_RIG_RUN/$2 ]] && break
		sleep 0.1
	done
	[[ -e $UDRV_RIG_RUN/$2 ]] || { echo "host hook: $2 never appeared" >&2; exit 1; }
fi
python3 "$here/qmp.py" "$UDRV_RIG_QMP" device_del "{\"id\": \"$1\"}" --wait-event DEVICE_DELETED \
	--timeout 90 >/dev/null
echo "host hook: $1 unplugged (DEVICE_DELETED)"
