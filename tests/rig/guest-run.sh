#!/bin/bash
# SPDX-License-Identifier: MIT
# Runs inside the rig guest, chrooted into the host's / (read-only 9p), as
# root: finds the devices udrv-rig added (RUN/manifest), binds udrv's to
# vfio-pci, brings the peer ports up, exports UDRV_RIG_* and runs the COMMAND
# from RUN/command in the caller's directory. Its exit status is COMMAND's.
set -u
run=$1
. "$run/guest.env" # RIG_BUILD, RIG_CWD, exported variables of the caller
say() { echo "udrv-rig(guest): $*" >&2; }

setup=$RIG_BUILD/apps/udrv-setup/udrv-setup
[[ -x $setup ]] || setup=
# Under TCG every exec costs most of a second: this script uses bash builtins
# and runs udrv-setup and ip once each.
uptime() { local up _; read -r up _ </proc/uptime; echo "$1=$up" >>"$run/guest-times"; }
# Wait up to 10 s for a glob to match; sets $match to the first match.
wait_glob() {
	local i g
	for ((i = 0; i < 100; i++)); do
		for g in $1; do [[ -e $g ]] && { match=$g; return 0; }; done
		sleep 0.1
	done
	return 1
}

uptime run
declare -A list=()
bind=() peer_ifaces=() peer_macs=() peer_addrs=() peer_blk=() ipcmds=()
# manifest lines: KIND ROLE PATH QEMU_ID; PATH is a glob under
# /sys/bus/pci/devices: the device below its root port (and bridge).
while read -r kind role path id; do
	if [[ $kind == spare ]]; then # an empty root port for hot-add
		list[spare]+="${list[spare]:+ }${path#rootport:}"
		list[spare_ids]+="${list[spare_ids]:+ }$id"
		continue
	fi
	bdf=
	for c in /sys/bus/pci/devices/$path; do
		[[ -e $c/vendor ]] && { bdf=${c##*/}; break; }
	done
	[[ -n $bdf ]] || { say "no device at $path ($id)"; exit 125; }
	dev=/sys/bus/pci/devices/$bdf
	if [[ $role == nonviable ]]; then
		# On vfio-pci by driver_override; udrv-setup would rightly refuse.
		[[ -e /sys/bus/pci/drivers/vfio-pci/$bdf ]] || { say "$bdf ($id) is not on vfio-pci"; exit 125; }
		list[nonviable]+="${list[nonviable]:+ }$bdf"
	elif [[ $role == udrv ]]; then
		bind+=("$bdf")
		list[$kind]+="${list[$kind]:+ }$bdf"
	elif [[ $kind == nvme ]]; then
		wait_glob "$dev/nvme/nvme*/nvme*n1" || { say "peer $id ($bdf) has no block device"; exit 125; }
		list[peer_nvme]+="${list[peer_nvme]:+ }$bdf"
		peer_blk+=("/dev/${match##*/}")
	else
		wait_glob "$dev/net/* $dev/virtio*/net/*" || { say "peer $id ($bdf) has no network interface"; exit 125; }
		iface=${match##*/}
		addr=10.99.0.$((100 + ${#peer_ifaces[@]}))
		ipcmds+=("link set $iface up" "addr add $addr/24 dev $iface")
		read -r mac <"$match/address"
		peer_ifaces+=("$iface"); peer_addrs+=("$addr"); peer_macs+=("$mac")
		list[peer]+="${list[peer]:+ }$bdf"
	fi
done <"$run/manifest"

# Bind udrv's devices to vfio-pci (guest-init.sh set their driver_override
# before any driver loaded, so most already are). udrv-setup when it is built;
# else the same sysfs sequence: driver_override, unbind, drivers_probe.
if ((${#bind[@]})); then
	if [[ -n $setup ]]; then
		"$setup" bind "${bind[@]}" >/dev/null || { say "udrv-setup bind ${bind[*]} failed"; exit 125; }
	else
		for bdf in "${bind[@]}"; do
			d=/sys/bus/pci/devices/$bdf
			echo vfio-pci >"$d/driver_override"
			[[ -e $d/driver ]] && echo "$bdf" >"$d/driver/unbind"
			echo "$bdf" >/sys/bus/pci/drivers_probe
		done
	fi
	for bdf in "${bind[@]}"; do
		[[ -e /sys/bus/pci/drivers/vfio-pci/$bdf ]] || { say "$bdf is not bound to vfio-pci"; exit 125; }
	done
fi
uptime bound
printf '%s\n' "link set lo up" ${ipcmds[@]+"${ipcmds[@]}"} | ip -batch - ||
	{ say "cannot bring the peer ports up"; exit 125; }
# Peers are useful once their link is up (e1000e negotiates for a moment).
for iface in ${peer_ifaces[@]+"${peer_ifaces[@]}"}; do
	for ((i = 0; i < 50; i++)); do
		read -r state <"/sys/class/net/$iface/operstate"
		[[ $state == up ]] && break
		sleep 0.1
	done
	[[ $state == up ]] || say "warning: peer $iface has no link (operstate $state)"
done

export UDRV_RIG=1 UDRV_RIG_RUN=$run UDRV_RIG_BUILD=$RIG_BUILD
export UDRV_RIG_NVME=${list[nvme]:-} UDRV_RIG_VIRTIO=${list[virtio]:-} UDRV_RIG_E1000E=${list[e1000e]:-}
export UDRV_RIG_VHOST=${list[vhost]:-}
export UDRV_RIG_PEER_BDFS=${list[peer]:-} UDRV_RIG_NONVIABLE=${list[nonviable]:-}
export UDRV_RIG_PEER_IFACES="${peer_ifaces[*]}" UDRV_RIG_PEER_MACS="${peer_macs[*]}"
export UDRV_RIG_PEER_ADDRS="${peer_addrs[*]}"
export UDRV_RIG_PEER_NVME=${list[peer_nvme]:-} UDRV_RIG_PEER_BLOCKDEVS="${peer_blk[*]}"
export UDRV_RIG_SPARE_PORTS=${list[spare]:-} UDRV_RIG_SPARE_IDS=${list[spare_ids]:-}
read -r UDRV_RIG_HUGEPAGES </proc/sys/vm/nr_hugepages
export UDRV_RIG_HUGEPAGES

uptime ready
export -p | grep -E '^declare -x UDRV_RIG_' >"$run/devices.env" # for the host hook
: >"$run/ready"
cd "$RIG_CWD" 2>/dev/null || cd "$RIG_BUILD"
. "$run/command"
