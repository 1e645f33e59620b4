#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Quick-start main job: builds udrv and shows it driving devices.
#
#   scripts/quickstart.sh                 build, then a demo on the QEMU rig
#   scripts/quickstart.sh BDF...          build, then the demo on real devices
#   UDRV_NVME=BDF UDRV_NET=BDF scripts/quickstart.sh     (the same)
#
# With no real device named, the demo runs inside the rig (tests/rig/udrv-rig,
# docs/rig.md): a QEMU guest with an emulated IOMMU, two NVMe controllers and
# NICs, where udrv drives the devices through the guest kernel's real VFIO.
# The demo shows `udrv-setup status`, then whatever apps are built: NVMe
# identify and a short perf run, in the rig a filesystem on a udrv-blk device
# (/dev/ublkb0, mounted), and pktgen from a udrv port to a NIC left on the
# kernel's driver. It ends with a short summary.
#
# Environment: UDRV_BUILD_DIR (default: build), QUICKSTART_SECONDS (perf and
# pktgen duration, default 5).
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
secs=${QUICKSTART_SECONDS:-5}

usage() {
	cat <<'EOF'
usage: scripts/quickstart.sh [BDF...]
       scripts/quickstart.sh --help

Builds udrv, then shows it driving devices: udrv-setup status, NVMe identify
and a short perf run, pktgen from a udrv port, and a summary. With no BDF the
demo runs inside the QEMU rig (tests/rig/udrv-rig: emulated IOMMU, NVMe
controllers and NICs, real VFIO in the guest; the first run downloads the guest
kernel, about 100 MB). With BDFs (NVMe or Ethernet controllers bound to
vfio-pci) it runs on those. Installs the Debian packages it needs first
(scripts/install-deps.sh --rig, as root).

environment:
  UDRV_NVME, UDRV_NET   BDFs of real devices (the same as naming them)
  UDRV_BUILD_DIR        build directory (default: build)
  QUICKSTART_SECONDS    perf and pktgen duration (default 5)

examples:
  sudo scripts/quickstart.sh
  sudo scripts/quickstart.sh 0000:01:00.0 0000:00:03.0
EOF
}
case ${1:-} in
-h | --help)
	usage
	exit 0
	;;
--guest-demo) ;;
-*)
	echo "quickstart: unknown option '$1'" >&2
	usage >&2
	exit 2
	;;
esac

# How the demo calls the apps (one place to adjust as their CLIs settle).
nvme_identify() { "$1" identify -d "$2"; }
nvme_perf() { "$1" perf -d "$2" -w randread -o 4k -q 32 -t "$secs"; }
net_pktgen() { "$1" pktgen -d "$2" --dst-mac "$3" -t "$secs"; }
# udrv-blk: the namespace as /dev/ublkb0 with an ext4 filesystem on it,
# mounted, written, shown, then unmounted and the device removed. Only in
# the rig: mkfs would destroy the data of a real disk.
blk_fs() {
	local mnt pid rc=0 out
	out=$(mktemp)
	"$1" serve -d "$2" >"$out" 2>&1 &
	pid=$!
	for _ in $(seq 100); do [[ -b /dev/ublkb0 ]] && break; sleep 0.1; done
	cat "$out"
	mnt=$(mktemp -d)
	if mkfs.ext4 -q -F /dev/ublkb0 && mount /dev/ublkb0 "$mnt"; then
		echo "hello from a filesystem on an NVMe namespace driven by udrv" >"$mnt/hello.txt"
		sync
		findmnt "$mnt" && df -h "$mnt" && ls -l "$mnt" && cat "$mnt/hello.txt" || rc=1
		umount "$mnt" || rc=1
	else
		rc=1
	fi
	kill -TERM "$pid"
	wait "$pid" || rc=1
	tail -n 2 "$out"
	rm -f "$out"
	rmdir "$mnt"
	return $rc
}
# The same workload through the guest kernel's nvme driver, for comparison.
kernel_fio() { "$1" --name=kernel-randread --filename="$2" --rw=randread --bs=4k --iodepth=32 \
	--ioengine=io_uring --direct=1 --runtime="$secs" --time_based; }

summary=()
note() { summary+=("$*"); }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The headline figure of a step, from its output in $log.
result_of() {
	case $1 in
	kernel_fio) grep -o -m1 'IOPS=[^,]*' "$log" | sed 's/IOPS=/, /; s/$/ IOPS/' ;;
	nvme_perf) awk '$1 == "total" { printf ", %s IOPS, %s MiB/s, p99 latency %s us", $2, $3, $8 }' "$log" ;;
	net_pktgen) sed -n 's/^pktgen: \([0-9]*\) packets in \([0-9.]*\) s: \([0-9]*\) pps.*/, \1 frames sent at \3 pps/p' "$log" ;;
	esac
}
step() { printf '\n=== %s\n' "$*"; }

# Runs an app step: records ok / failed / not built yet for the summary.
app_step() { # LABEL BIN FUNC ARGS...
	local label=$1 bin=$2 fn=$3 rc
	shift 3
	if [[ ! -x $bin ]]; then
		echo "(skipped: ${bin##*/} is not built yet)"
		note "$label: not built yet (${bin#"$build"/})"
		return 0
	fi
	"$fn" "$bin" "$@" 2>&1 | tee "$log" && rc=0 || rc=${PIPESTATUS[0]}
	if ((rc == 0)); then
		note "$label: ok$(result_of "$fn")"
	else
		note "$label: FAILED (exit $rc; the output above says why)"
	fi
}

# ----------------------------------------------------------------- the demo
# Runs where the devices are: inside the rig guest, or on the host.
demo() { # NVME_BDFS NET_BDFS PEER_IFACES PEER_MACS [PEER_BLOCKDEV]
	local nvme=$1 net=$2 ifaces=$3 macs=$4 peer_blk=${5:-} setup=$build/apps/udrv-setup/udrv-setup
	local unvme=$build/apps/udrv-nvme/udrv-nvme unet=$build/apps/udrv-net/udrv-net
	local first_nvme first_net first_iface first_mac rx0 rx1

	step "udrv-setup status: the devices, their drivers, IOMMU groups and hugepages"
	app_step "udrv-setup status" "$setup" run_status

	read -r first_nvme _ <<<"$nvme"
	if [[ -n $first_nvme ]]; then
		step "udrv-nvme identify $first_nvme: the controller and its namespaces"
		app_step "NVMe identify ($first_nvme)" "$unvme" nvme_identify "$first_nvme"
		step "udrv-nvme perf $first_nvme: ${secs}s of 4 KiB random reads at queue depth 32"
		app_step "NVMe perf ($first_nvme)" "$unvme" nvme_perf "$first_nvme"
		if [[ -n ${UDRV_RIG:-} ]] && [[ -e /dev/ublk-control ]]; then
			step "udrv-blk serve $first_nvme: the namespace as /dev/ublkb0, ext4 on it, mounted"
			app_step "udrv-blk: ext4 on /dev/ublkb0 ($first_nvme), mounted and written" \
				"$build/apps/udrv-blk/udrv-blk" blk_fs "$first_nvme"
		fi
	fi
	if [[ -n $peer_blk ]] && command -v fio >/dev/null; then
		step "for comparison: the kernel's nvme driver + fio (io_uring) on $peer_blk, same workload"
		app_step "kernel nvme + fio ($peer_blk, the same emulated controller model)" "$(command -v fio)" \
			kernel_fio "$peer_blk"
	fi
	read -r first_net _ <<<"$net"
	read -r first_iface _ <<<"$ifaces"
	read -r first_mac _ <<<"$macs"
	if [[ -n $first_net ]]; then
		step "udrv-net pktgen $first_net -> kernel peer ${first_iface:-?}: ${secs}s"
		rx0=$(cat "/sys/class/net/$first_iface/statistics/rx_packets" 2>/dev/null || echo 0)
		app_step "NIC pktgen ($first_net -> ${first_iface:-peer})" "$unet" net_pktgen "$first_net" \
			"${first_mac:-ff:ff:ff:ff:ff:ff}"
		if [[ -n $first_iface ]]; then
			rx1=$(cat "/sys/class/net/$first_iface/statistics/rx_packets" 2>/dev/null || echo 0)
			echo "kernel peer $first_iface received $((rx1 - rx0)) packets"
			[[ -x $unet ]] && note "  the guest kernel's e1000e/virtio-net driver on $first_iface received $((rx1 - rx0)) of them"
		fi
	fi
}
run_status() { "$1" status; }

print_summary() {
	step "Summary"
	printf '%s\n' "$@"
	cat <<'EOF'

What happened: udrv opened each device through VFIO (the kernel's safe way to
give a PCI device to a process), mapped its registers into the process, and
put its DMA memory in pinned hugepages behind the IOMMU. Its drivers then run
entirely in userspace, polling queues without system calls. Next steps:
README.md (real hardware), docs/rig.md (the rig and its tests), and
scripts/test.sh to run the tests. Figures on the rig are from emulated
devices under TCG: compare udrv with the kernel on the same rig, not with
real hardware.
EOF
}

# ------------------------------------------------ inside the rig (guest side)
if [[ ${1:-} == --guest-demo ]]; then
	build=$2
	demo "${UDRV_RIG_NVME:-}" "$(echo ${UDRV_RIG_VIRTIO:-} ${UDRV_RIG_E1000E:-})" \
		"${UDRV_RIG_PEER_IFACES:-}" "${UDRV_RIG_PEER_MACS:-}" "${UDRV_RIG_PEER_BLOCKDEVS%% *}"
	printf 'quickstart-summary: %s\n' "${summary[@]}"
	exit 0
fi

# ------------------------------------------------------------ host: build
build=${UDRV_BUILD_DIR:-$src/build}
step "Dependencies (scripts/install-deps.sh --rig)"
"$src/scripts/install-deps.sh" --rig
step "Build ($build)"
[[ -e $build/build.ninja ]] || meson setup "$build" "$src" >/dev/null
if ! ninja -C "$build" >"$build/quickstart-build.log" 2>&1; then
	tail -n 40 "$build/quickstart-build.log"
	echo "quickstart: the build failed (full log: $build/quickstart-build.log)" >&2
	exit 1
fi
echo "built: libudrv, $(ls "$build"/apps/*/ 2>/dev/null | grep -E '^udrv-[a-z]+$' | tr '\n' ' ')(log: $build/quickstart-build.log)"
note "build: ok ($build)"

nvme_bdfs=${UDRV_NVME:-} net_bdfs=${UDRV_NET:-}
for a in "$@"; do # BDFs on the command line: sort them by PCI class
	class=$(cat "/sys/bus/pci/devices/$a/class" 2>/dev/null ||
		cat "/sys/bus/pci/devices/0000:$a/class" 2>/dev/null || echo "")
	case $class in
	0x0108*) nvme_bdfs+=" $a" ;;
	0x0200*) net_bdfs+=" $a" ;;
	*) echo "quickstart: $a is not an NVMe or Ethernet controller (class '${class:-none}')" >&2; exit 2 ;;
	esac
done

if [[ -n ${nvme_bdfs// /} || -n ${net_bdfs// /} ]]; then
	step "Demo on real devices: NVMe [${nvme_bdfs# }] NIC [${net_bdfs# }]"
	echo "(bind them first: sudo $build/apps/udrv-setup/udrv-setup bind BDF; README.md, real hardware)"
	demo "$nvme_bdfs" "$net_bdfs" "" ""
	print_summary "${summary[@]}"
	exit 0
fi

step "Demo on the rig: a QEMU guest with 2 NVMe controllers and a virtio-net port for udrv, plus an NVMe controller and a virtio-net port left to the guest kernel"
echo "(no real device named: pass BDFs or set UDRV_NVME / UDRV_NET to use real hardware)"
echo "(the first run downloads the guest kernel package, about 100 MB; later runs start in ~10 s)"
mkdir -p "$build/rig-run"
out=$(mktemp "$build/rig-run/quickstart.XXXXXX")
rc=0
"$src/tests/rig/udrv-rig" run --build "$build" --nvmes 2 --virtio 1 --peer virtio --peer nvme \
	-- "$src/scripts/quickstart.sh" --guest-demo "$build" | tee "$out" | grep -v '^quickstart-summary: ' ||
	rc=${PIPESTATUS[0]}
if ((rc == 77)); then
	note "rig: cannot run on this machine (see above); the build is fine"
elif ((rc != 0)); then
	note "rig: FAILED (exit $rc; the guest console is printed above)"
fi
# The guest's part of the summary: its last lines, marked.
mapfile -t -O "${#summary[@]}" summary < <(sed -n 's/^quickstart-summary: //p' "$out")
rm -f "$out"
print_summary "${summary[@]}"
((rc == 0 || rc == 77))
