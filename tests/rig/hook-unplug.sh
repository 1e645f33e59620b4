#!/bin/bash
# SPDX-License-Identifier: MIT
# Host hook for udrv-rig: hot-unplugs devices over QMP, one after the other,
# and times each until QEMU's DEVICE_DELETED (sent once the guest let go).
#   hook-unplug.sh [--max SECONDS] ID[:WAIT_FILE] ...
#   hook-unplug.sh ID [WAIT_FILE]            (the older form, one device)
# For each ID (a QEMU device id: nvme0, net1): first wait (up to 120 s) for
# $UDRV_RIG_RUN/WAIT_FILE, which the test in the guest creates once it holds
# the device under load; then device_del and wait for DEVICE_DELETED. The
# time from device_del to DEVICE_DELETED, measured here on the host, is
# appended as "ID SECONDS" to $UDRV_RIG_RUN/deleted-times and written to
# $UDRV_RIG_RUN/deleted-ID for the guest to see. With --max, a removal that
# took longer fails the hook (after the remaining removals).
set -eu
here=$(dirname "${BASH_SOURCE[0]}")
max=""
if [[ ${1:-} == --max ]]; then max=$2; shift 2; fi
if (($# == 2)) && [[ $1 != *:* && $2 != *:* ]]; then set -- "$1:$2"; fi
slow=0
for spec in "$@"; do
	id=${spec%%:*} wait_file=""
	[[ $spec == *:* ]] && wait_file=${spec#*:}
	if [[ -n $wait_file ]]; then
		for ((i = 0; i < 1200; i++)); do
			[[ -e $UDRV_RIG_RUN/$wait_file ]] && break
			sleep 0.1
		done
		[[ -e $UDRV_RIG_RUN/$wait_file ]] || { echo "host hook: $wait_file never appeared" >&2; exit 1; }
	fi
	ev=$(python3 "$here/qmp.py" "$UDRV_RIG_QMP" device_del "{\"id\": \"$id\"}" \
		--wait-event DEVICE_DELETED --timeout 90)
	secs=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1].splitlines()[-1])["udrv_seconds"])' "$ev")
	echo "$id $secs" >>"$UDRV_RIG_RUN/deleted-times"
	echo "$secs" >"$UDRV_RIG_RUN/deleted-$id.tmp" && mv "$UDRV_RIG_RUN/deleted-$id.tmp" "$UDRV_RIG_RUN/deleted-$id"
	echo "# host hook: $id unplugged: DEVICE_DELETED ${secs} s after device_del"
	if [[ -n $max ]] && python3 -c 'import sys; sys.exit(float(sys.argv[1]) <= float(sys.argv[2]))' "$secs" "$max"; then
		echo "host hook: $id: DEVICE_DELETED took ${secs} s, more than $max s" >&2
		slow=1
	fi
done
exit $slow
